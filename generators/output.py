"""Write a generated dataset folder: FHIR NDJSON, OMOP Parquet and a manifest, atomically.

The folder is built beside the destination and swapped in only when complete, so a run that is
interrupted leaves the previous dataset intact and never a half-written one for `load` to read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from generators import __version__, fhir, omop, omop_spec
from generators.config import GeneratorConfig
from generators.exceptions import OutputError
from generators.population import PeopleBatch, draw_population

MANIFEST = "manifest.json"


@dataclass
class _NdjsonStream:
    path: Path
    resource_type: str
    handle: IO[bytes]
    digest: Any = field(default_factory=hashlib.sha256)
    rows: int = 0

    def write(self, lines: list[str]) -> None:
        if not lines:
            return
        data = ("\n".join(lines) + "\n").encode("utf-8")
        self.handle.write(data)
        self.digest.update(data)
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


# What each batch renders to: (resource type, renderer) for FHIR, (CDM table, renderer) for OMOP.
FHIR_RENDERERS: dict[str, Callable[[PeopleBatch, GeneratorConfig], list[str]]] = {
    "Patient": fhir.render_patients,
}
OMOP_RENDERERS: dict[str, Callable[[PeopleBatch], pa.Table]] = {
    "person": omop.render_person,
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _progress(total: int) -> Progress:
    return Progress(
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("patients"),
        TimeElapsedColumn(),
        transient=True,
        # Quiet when output is not a terminal (CI, pipes, tests).
        disable=not sys.stderr.isatty() or total < 20_000,
    )


def generate(config: GeneratorConfig, out_dir: Path) -> dict[str, Any]:
    """Draw the population and write every rendering into `out_dir`; return the manifest."""
    out_dir = out_dir.resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as error:
        raise OutputError(
            f"cannot write the dataset under {out_dir.parent}: {error.strerror}; "
            "choose a writable --out folder"
        ) from error
    try:
        manifest = _write_dataset(config, staging)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _write_dataset(config: GeneratorConfig, folder: Path) -> dict[str, Any]:
    (folder / "fhir").mkdir()
    (folder / "omop").mkdir()
    ndjson = {
        resource_type: _NdjsonStream(
            path=folder / "fhir" / f"{resource_type}.ndjson",
            resource_type=resource_type,
            handle=(folder / "fhir" / f"{resource_type}.ndjson").open("wb"),
        )
        for resource_type in FHIR_RENDERERS
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
        for table in OMOP_RENDERERS
    }
    try:
        with _progress(config.patients) as progress:
            task = progress.add_task("generate", total=config.patients)
            for batch in draw_population(config):
                for resource_type, render_fhir in FHIR_RENDERERS.items():
                    ndjson[resource_type].write(render_fhir(batch, config))
                for table, render_omop in OMOP_RENDERERS.items():
                    parquet[table].write(render_omop(batch))
                progress.advance(task, len(batch))
    finally:
        for stream in ndjson.values():
            stream.handle.close()
        for table_stream in parquet.values():
            table_stream.writer.close()

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
            "sha256": _sha256(stream.path),
        }
        for stream in parquet.values()
    ]
    manifest = {
        "generator": "healthlake.generators",
        "generator_version": __version__,
        "patients": config.patients,
        "seed": config.seed,
        "reference_date": config.reference_date.isoformat(),
        "batch_size": config.batch_size,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Replace `out_dir` with the finished `staging` folder, keeping the old one until the end."""
    retired = None
    if out_dir.exists():
        retired = out_dir.with_name(f".{out_dir.name}.retired-{os.getpid()}")
        out_dir.rename(retired)
    staging.rename(out_dir)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a generated dataset folder."""
    path = folder / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise OutputError(
            f"no generated dataset at {folder} ({MANIFEST} is missing); run 'just generate' first"
        ) from error
    except json.JSONDecodeError as error:
        raise OutputError(
            f"{path} is not valid JSON (line {error.lineno}); run 'just generate' again"
        ) from error
    return manifest
