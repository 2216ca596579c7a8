"""Write a generated dataset folder: FHIR NDJSON, OMOP Parquet and a manifest, atomically.

The folder is built beside the destination and swapped in only when complete, so a run that is
interrupted leaves the previous dataset intact and never a half-written one for `load` to read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO, Any, Protocol, cast

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from common.hashing import file_sha256
from generators import __version__, fhir, omop, omop_spec, terminology
from generators.config import GeneratorConfig
from generators.exceptions import OutputError
from generators.manifest import MANIFEST, read_manifest
from generators.population import (
    Continuation,
    IdOffsets,
    PeopleBatch,
    draw_people,
    draw_population,
)

RENDERINGS = ("fhir", "omop")
RENDER_THREADS = 2
# How long jemalloc keeps freed pages before returning them to the OS (see _reusing_memory).
JEMALLOC_DECAY_MS = 5_000


def ndjson_bytes(lines: pa.Array) -> memoryview:
    """The bytes of newline-terminated lines, back to back, without copying them.

    The string data buffer of an array holds its lines back to back: its slice between the first
    and last offsets is the NDJSON, with no Python bytes object built per line.
    """
    if len(lines) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=lines.offset + len(lines) + 1)
    first = offsets[lines.offset]
    last = offsets[lines.offset + len(lines)]
    return memoryview(lines.buffers()[2])[first:last]


@dataclass
class _NdjsonStream:
    path: Path
    resource_type: str
    handle: IO[bytes]
    digest: Any = field(default_factory=hashlib.sha256)
    rows: int = 0

    def write(self, lines: pa.Array, hasher: ThreadPoolExecutor) -> None:
        """Append newline-terminated lines: hash them in `hasher` while writing them here."""
        if len(lines) == 0:
            return
        data = ndjson_bytes(lines)
        # Both release the GIL on large buffers, so hashing and writing overlap on two cores.
        hashed = hasher.submit(self.digest.update, data)
        self.handle.write(data)
        hashed.result()
        self.rows += len(lines)


@dataclass
class _ParquetStream:
    path: Path
    table: str
    writer: pq.ParquetWriter
    rows: int = 0

    def write(self, rows: pa.Table) -> None:
        self.writer.write_table(rows)
        self.rows += rows.num_rows


class FhirRenderer(Protocol):
    """Renders a batch as one resource type's NDJSON lines, each followed by `end`."""

    def __call__(self, batch: PeopleBatch, config: GeneratorConfig, end: str = "") -> pa.Array: ...


# What each batch renders to: (resource type, renderer) for FHIR, (CDM table, renderer) for OMOP.
FHIR_RENDERERS: dict[str, FhirRenderer] = {
    "Patient": fhir.render_patients,
    "Encounter": fhir.render_encounters,
    "Condition": fhir.render_conditions,
    "Observation": fhir.render_observations,
    "MedicationRequest": fhir.render_medication_requests,
    "Procedure": fhir.render_procedures,
}
OMOP_RENDERERS: dict[str, Callable[[PeopleBatch], pa.Table]] = {
    "person": omop.render_person,
    "observation_period": omop.render_observation_period,
    "visit_occurrence": omop.render_visit_occurrence,
    "condition_occurrence": omop.render_condition_occurrence,
    "observation": omop.render_observation,
    "measurement": omop.render_measurement,
    "drug_exposure": omop.render_drug_exposure,
    "procedure_occurrence": omop.render_procedure_occurrence,
    "death": omop.render_death,
}
# Streams that describe the synthetic world rather than people: written once per dataset.
FHIR_WORLD_RENDERERS: dict[str, Callable[[GeneratorConfig, str], pa.Array]] = {
    "Organization": fhir.render_organizations,
    "Practitioner": fhir.render_practitioners,
}
OMOP_WORLD_RENDERERS: dict[str, Callable[[GeneratorConfig], pa.Table]] = {
    "location": omop.render_location,
    "care_site": omop.render_care_site,
    "provider": omop.render_provider,
    "cdm_source": omop.render_cdm_source,
}
# Streams rendered from the people alone, without their events (their renderers take a
# `People`): a dataset of only these (and world tables) is drawn with `draw_people`, several
# times faster than the whole population.
PEOPLE_STREAMS = frozenset({"Patient", "person", "observation_period", "death"})


@dataclass(frozen=True)
class Selection:
    """Which streams a dataset holds: FHIR resource types and OMOP tables."""

    fhir: frozenset[str]
    omop: frozenset[str]

    @property
    def people_only(self) -> bool:
        """Whether every stream can be rendered without drawing events."""
        world = FHIR_WORLD_RENDERERS.keys() | OMOP_WORLD_RENDERERS.keys()
        return (self.fhir | self.omop) <= PEOPLE_STREAMS | world


def select_streams(names: Collection[str]) -> Selection:
    """The streams that `names` select: whole renderings ("fhir", "omop") and/or single streams
    (FHIR resource types such as "Patient", OMOP tables such as "person")."""
    fhir_types = (*FHIR_RENDERERS, *FHIR_WORLD_RENDERERS)
    omop_tables = (*OMOP_RENDERERS, *OMOP_WORLD_RENDERERS)
    unknown = sorted(set(names) - {*RENDERINGS, *fhir_types, *omop_tables})
    if unknown or not names:
        raise OutputError(
            f"cannot write {', '.join(unknown) or 'nothing'}: choose renderings "
            f"({', '.join(RENDERINGS)}), FHIR resource types ({', '.join(fhir_types)}) "
            f"or OMOP tables ({', '.join(omop_tables)})"
        )
    return Selection(
        fhir=frozenset(t for t in fhir_types if "fhir" in names or t in names),
        omop=frozenset(t for t in omop_tables if "omop" in names or t in names),
    )


# One batch in flight: its FHIR lines and OMOP tables, by stream name, as they are rendered.
_RenderedBatch = tuple[dict[str, "Future[pa.Array]"], dict[str, "Future[pa.Table]"]]


@contextmanager
def _reusing_memory() -> Iterator[None]:
    """Allocate Arrow buffers from jemalloc, which keeps freed pages for a few seconds.

    Every batch renders a few hundred MB of short-lived buffers. Arrow's default allocator
    (mimalloc) hands large freed blocks back to the OS at once, so the next batch faults in fresh
    pages that the kernel must zero: measured, that was a third of the CPU time of a FHIR run.
    jemalloc with a decay of a few seconds reuses them instead, for about the same peak RSS.
    """
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc: keep the default
        yield
        return
    previous = pa.default_memory_pool()
    pa.jemalloc_set_decay_ms(JEMALLOC_DECAY_MS)
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _progress(total: int) -> Progress:
    return Progress(
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("patients"),
        TimeElapsedColumn(),
        transient=True,
        # Quiet when output is not a terminal (CI, pipes, tests).
        disable=not sys.stderr.isatty() or total < 5_000,
    )


def generate(
    config: GeneratorConfig,
    out_dir: Path,
    streams: Collection[str] = RENDERINGS,
    start: Continuation | None = None,
) -> dict[str, Any]:
    """Draw the population and write the selected streams into `out_dir`; return the manifest.

    Args:
        config: what to draw.
        out_dir: the dataset folder (replaced whole, atomically).
        streams: what to write (see `select_streams`): both renderings by default; a subset is
            for benchmarks and for people-only datasets (which skip drawing events).
        start: draw only the batches from here on (`continue_after`): more people of the
            world an earlier dataset holds, so its providers, care sites, locations and CDM
            source row are not written again.
    """
    selection = select_streams(streams)
    out_dir = out_dir.resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(out_dir), dir=out_dir.parent))
    except OSError as error:
        raise OutputError(
            f"cannot write the dataset under {out_dir.parent}: {error.strerror}; "
            "choose a writable --out folder"
        ) from error
    try:
        with _reusing_memory():
            manifest = _write_dataset(config, staging, selection, start)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def continue_after(
    earlier: Path,
    config: GeneratorConfig,
    out_dir: Path,
    *,
    seed_given: bool,
    reference_date_given: bool,
) -> tuple[GeneratorConfig, Continuation]:
    """The config and start of `config.patients` more people after the dataset in `earlier`:
    the next batches of the same seeded population, numbered after its ids, so the two
    datasets loaded together are one population (no person, visit or event id twice).

    Raises:
        OutputError: `earlier` is no dataset this can follow, or a setting contradicts it.
    """
    if earlier.resolve() == out_dir.resolve():
        raise OutputError(
            f"--after {earlier} is also the --out folder, which generate replaces; "
            "write the new people to another folder"
        )
    manifest = read_manifest(earlier)
    where = f"--after {earlier}"
    try:
        ids: dict[str, Any] = manifest["next_ids"]
        offsets = IdOffsets(**{key: int(value) for key, value in ids.items()})
        seed = int(manifest["seed"])
        batch_size = int(manifest["batch_size"])
        reference_date = date.fromisoformat(str(manifest["reference_date"]))
        before = int(manifest.get("first_patient", 0)) + int(manifest["patients"])
    except (AttributeError, KeyError, TypeError, ValueError):
        raise OutputError(
            f"{where}: its {MANIFEST} does not say which ids it used (written by an older "
            "generator, or a people-only --only dataset); generate it again, in full"
        ) from None
    if seed_given and config.seed != seed:
        raise OutputError(
            f"{where}: the new people are the next of that seeded population, seed {seed}, "
            f"not {config.seed}; leave the seed out"
        )
    if reference_date_given and config.reference_date != reference_date:
        raise OutputError(
            f"{where}: its world's today is {reference_date}, not {config.reference_date}; "
            "leave --reference-date out"
        )
    if before % batch_size:
        raise OutputError(
            f"{where}: it holds {before:,} patients, not whole batches of {batch_size:,}, so "
            "the next people cannot be drawn as that population's next batches; continue a "
            f"dataset of a multiple of {batch_size:,} patients"
        )
    total = replace(
        config,
        patients=before + config.patients,
        seed=seed,
        batch_size=batch_size,
        reference_date=reference_date,
    )
    return total, Continuation(first_batch=before // batch_size, offsets=offsets)


def _staging_prefix(out_dir: Path) -> str:
    """`.generated.staging-PID-`: the owner's PID tells a later run whether the folder is stale."""
    return f".{out_dir.name}.staging-{os.getpid()}-"


@dataclass(frozen=True)
class StaleStaging:
    """What `remove_stale_staging` removed: staging and retired folders of killed runs."""

    folders: int
    bytes: int

    def describe(self, where: Path) -> str:
        """One line for the command line."""
        return (
            f"removed {self.folders} stale staging folder(s) ({self.bytes:,} bytes) "
            f"of killed generate runs beside {where}"
        )


def remove_stale_staging(out_dir: Path) -> StaleStaging:
    """Remove the staging (`.NAME.staging-PID-*`) and retired (`.NAME.retired-PID`) folders
    beside `out_dir` whose owner process is gone.

    A killed `generate` cannot clean up after itself: without this its half-written staging
    folder (up to the size of a dataset) would stay beside the output forever. A folder whose
    PID is a running process is kept: it may belong to a generate running now (or to an
    unrelated process that reuses the PID: kept too, the safe mistake). Older staging folders
    without a PID in their name are left for `just clean`.
    """
    out_dir = out_dir.resolve()
    owned = re.compile(rf"^\.{re.escape(out_dir.name)}\.(?:staging-(\d+)-.+|retired-(\d+))$")
    folders = 0
    size = 0
    try:
        entries = list(out_dir.parent.iterdir())
    except OSError:
        return StaleStaging(0, 0)  # no parent folder yet: nothing was ever staged there
    for entry in entries:
        match = owned.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        if _process_alive(int(match.group(1) or match.group(2))):
            continue
        found = _tree_bytes(entry)
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            folders += 1
            size += found
    return StaleStaging(folders, size)


def _process_alive(pid: int) -> bool:
    """Whether a process with this PID exists (signal 0 checks without signalling)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by another user
    except OverflowError:
        return False  # not a PID this system can have
    return True


def _tree_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:
            continue
    return total


def _write_dataset(
    config: GeneratorConfig, folder: Path, selection: Selection, start: Continuation | None
) -> dict[str, Any]:
    # A continuation adds people to the world of the dataset before it: no world files again.
    fhir_world = {} if start is not None else FHIR_WORLD_RENDERERS
    omop_world = {} if start is not None else OMOP_WORLD_RENDERERS
    (folder / "fhir").mkdir()
    (folder / "omop").mkdir()
    ndjson = {
        resource_type: _NdjsonStream(
            path=folder / "fhir" / f"{resource_type}.ndjson",
            resource_type=resource_type,
            handle=(folder / "fhir" / f"{resource_type}.ndjson").open("wb", buffering=0),
        )
        for resource_type in (*FHIR_RENDERERS, *fhir_world)
        if resource_type in selection.fhir
    }
    parquet = {
        table: _ParquetStream(
            path=folder / "omop" / f"{table}.parquet",
            table=table,
            writer=pq.ParquetWriter(
                folder / "omop" / f"{table}.parquet",
                omop_spec.arrow_schema(table),
                compression="zstd",
            ),
        )
        for table in (*OMOP_RENDERERS, *omop_world)
        if table in selection.omop
    }
    try:
        with ThreadPoolExecutor(max_workers=1) as hasher:
            for resource_type, render_resources in fhir_world.items():
                if resource_type in ndjson:
                    ndjson[resource_type].write(render_resources(config, "\n"), hasher)
        for table, render_world in omop_world.items():
            if table in parquet:
                parquet[table].write(render_world(config))
        with (
            _progress(config.patients) as progress,
            ThreadPoolExecutor(max_workers=RENDER_THREADS) as pool,
            ThreadPoolExecutor(max_workers=1) as writer,
            ThreadPoolExecutor(max_workers=1) as hasher,
        ):
            task = progress.add_task("generate", total=config.patients)

            def write_batch(rendered: _RenderedBatch) -> None:
                fhir_lines, omop_rows = rendered
                for name, lines in fhir_lines.items():
                    ndjson[name].write(lines.result(), hasher)
                for name, rows in omop_rows.items():
                    parquet[name].write(rows.result())

            # A pipeline of three stages on two cores: this thread draws batch n+1 while the
            # pool renders batch n and the writer writes (and hashes) batch n-1. Renderers are
            # pure functions of the batch and spend their time in Arrow and numpy kernels, and
            # hashing and file writes release the GIL too, so the stages run in parallel. Each
            # stream is written by one thread in batch order, so the bytes do not depend on
            # thread timing; waiting for batch n-1's write before queueing batch n's keeps at
            # most about three batches in memory.
            # People-only batches reach only the renderers of PEOPLE_STREAMS, which take a
            # `People` (the base class of PeopleBatch).
            batches = (
                cast(Iterator[PeopleBatch], draw_people(config, start))
                if selection.people_only
                else draw_population(config, start)
            )
            written: Future[None] | None = None
            written_people = 0
            # The ids the population used, for a dataset drawn after this one (--after).
            next_ids: IdOffsets | None = (
                None
                if selection.people_only
                else (start.offsets if start is not None else IdOffsets())
            )
            for batch in batches:
                rendered: _RenderedBatch = (
                    {
                        name: pool.submit(render, batch, config, "\n")
                        for name, render in FHIR_RENDERERS.items()
                        if name in ndjson
                    },
                    {
                        name: pool.submit(render, batch)
                        for name, render in OMOP_RENDERERS.items()
                        if name in parquet
                    },
                )
                if written is not None:
                    written.result()
                    progress.advance(task, written_people)
                written = writer.submit(write_batch, rendered)
                written_people = len(batch)
                if not selection.people_only:
                    next_ids = batch.next_ids
            if written is not None:
                written.result()
                progress.advance(task, written_people)
    finally:
        for stream in ndjson.values():
            stream.handle.close()
        for table_stream in parquet.values():
            table_stream.writer.close()

    first_patient = 0 if start is None else start.first_batch * config.batch_size
    files: list[dict[str, Any]] = [
        {
            "path": f"fhir/{stream.path.name}",
            "format": "fhir-ndjson",
            "resource_type": stream.resource_type,
            "rows": stream.rows,
            "sha256": stream.digest.hexdigest(),
        }
        for stream in ndjson.values()
    ]
    files += [
        {
            "path": f"omop/{stream.path.name}",
            "format": "omop-parquet",
            "table": stream.table,
            "rows": stream.rows,
            "sha256": file_sha256(stream.path),
        }
        for stream in parquet.values()
    ]
    manifest = {
        "generator": "healthlake.generators",
        "generator_version": __version__,
        # A continuation's people only; the population's before it are in `first_patient`.
        "patients": config.patients - first_patient,
        "first_patient": first_patient,
        "seed": config.seed,
        "reference_date": config.reference_date.isoformat(),
        "batch_size": config.batch_size,
        "terminology_version": terminology.version(),
        "files": files,
    }
    if next_ids is not None:
        manifest["next_ids"] = asdict(next_ids)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Replace `out_dir` with the finished `staging` folder, keeping the old one until the end."""
    retired = None
    if out_dir.exists():
        retired = out_dir.with_name(f".{out_dir.name}.retired-{os.getpid()}")
        if retired.exists():  # left by a killed run whose PID this process now has
            shutil.rmtree(retired)
        out_dir.rename(retired)
    staging.rename(out_dir)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
