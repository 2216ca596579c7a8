"""Loaders: files in, bronze Iceberg tables out, one atomic commit per table.

Rules every loader keeps:
- Rows are keyed by the file they came from. Loading a file path again replaces the rows that
  path loaded before (a re-run never doubles data); loading content already in the table (same
  SHA-256, any path) is skipped with a message unless forced.
- Each table gets one commit per load, carrying the run id in its snapshot summary, and the
  record of loaded files is updated in that same commit: a load that dies before committing
  leaves the table exactly as it was.
- Input is streamed: files are parsed into compact Arrow batches spilled to a scratch folder,
  then streamed into the table, so memory stays bounded however large the input.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyiceberg.catalog import Catalog
from pyiceberg.expressions import In, Reference
from pyiceberg.expressions.literals import literal

from generators.output import read_manifest
from iceberg.exceptions import SourceFileError
from iceberg.tables import BronzeTable, ensure_table, fhir_table, omop_table

LOADED_FILES_PROPERTY = "healthlake.loaded-files"
RUN_ID_PROPERTY = "healthlake.run-id"
_BATCH_ROWS = 50_000


@dataclass
class TableLoad:
    """What one load did to one table."""

    table: str
    rows: int = 0
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the run summary."""
        if not self.files:
            return f"{self.table}: unchanged ({len(self.skipped)} file(s) already loaded)"
        return f"{self.table}: {self.rows:,} rows from {len(self.files)} file(s)"


@dataclass(frozen=True)
class _SourceFile:
    path: str
    sha256: str


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _lineage(
    size: int, source_file: str, first_line: int, run_id: str, loaded_at: datetime
) -> dict[str, pa.Array]:
    return {
        "source_file": pa.array([source_file] * size, pa.string()),
        "source_line": pa.array(range(first_line, first_line + size), pa.int64()),
        "pipeline_run_id": pa.array([run_id] * size, pa.string()),
        "loaded_at": pa.array([loaded_at] * size, pa.timestamp("us")),
    }


def _commit(
    catalog: Catalog,
    definition: BronzeTable,
    sources: list[_SourceFile],
    batches: Callable[[list[_SourceFile]], Iterator[pa.RecordBatch]],
    run_id: str,
    force: bool,
) -> TableLoad:
    """Replace the rows of `sources` in one table with freshly read ones, in one commit."""
    result = TableLoad(definition.identifier)
    table = ensure_table(catalog, definition)
    loaded: dict[str, str] = json.loads(table.properties.get(LOADED_FILES_PROPERTY, "{}"))
    loaded_hashes = set(loaded.values())
    fresh = [source for source in sources if force or source.sha256 not in loaded_hashes]
    result.skipped = [source.path for source in sources if source not in fresh]
    if not fresh:
        return result
    paths = [source.path for source in fresh]
    reader = pa.RecordBatchReader.from_batches(definition.schema, batches(fresh))
    counted = _CountingReader(reader)
    now_loaded = {path: sha for path, sha in loaded.items() if path not in paths}
    now_loaded.update({source.path: source.sha256 for source in fresh})
    with table.transaction() as transaction, warnings.catch_warnings():
        # A first load replaces nothing; PyIceberg warns about that, we expect it.
        warnings.filterwarnings("ignore", "Delete operation did not match any records")
        transaction.overwrite(
            counted.reader(),
            overwrite_filter=In(term=Reference("source_file"), values={literal(p) for p in paths}),
            snapshot_properties={RUN_ID_PROPERTY: run_id},
        )
        transaction.set_properties({LOADED_FILES_PROPERTY: json.dumps(now_loaded, sort_keys=True)})
    result.rows = counted.rows
    result.files = paths
    return result


class _CountingReader:
    """Wraps a RecordBatchReader to count the rows that streamed through it."""

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self._reader = reader
        self.rows = 0

    def _batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self._reader:
            self.rows += batch.num_rows
            yield batch

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self._reader.schema, self._batches())


# --- OMOP Parquet -----------------------------------------------------------------------------


def load_omop_parquet(
    catalog: Catalog,
    cdm_table: str,
    files: list[Path],
    run_id: str,
    *,
    force: bool = False,
    loaded_at: datetime | None = None,
) -> TableLoad:
    """Load OMOP CDM Parquet files of one CDM table into `bronze.omop_<cdm_table>`."""
    definition = omop_table(cdm_table)
    stamp = loaded_at or _now()
    cdm_schema = pa.schema([f for f in definition.schema if f.name not in _LINEAGE_NAMES])

    def batches(sources: list[_SourceFile]) -> Iterator[pa.RecordBatch]:
        for source in sources:
            parquet = _open_parquet(Path(source.path))
            first = 0
            for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
                data = _conform(pa.Table.from_batches([batch]), cdm_schema, source.path)
                columns = {name: data.column(name) for name in cdm_schema.names}
                columns.update(_lineage(batch.num_rows, source.path, first, run_id, stamp))
                first += batch.num_rows
                yield from pa.Table.from_pydict(columns, schema=definition.schema).to_batches()

    sources = [_SourceFile(str(path.resolve()), file_sha256(path)) for path in files]
    return _commit(catalog, definition, sources, batches, run_id, force)


_LINEAGE_NAMES = {"source_file", "source_line", "pipeline_run_id", "loaded_at"}


def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise SourceFileError(f"{path}: not a readable Parquet file ({error})") from error


def _conform(data: pa.Table, schema: pa.Schema, path: str) -> pa.Table:
    missing = [name for name in schema.names if name not in data.column_names]
    if missing:
        raise SourceFileError(
            f"{path}: missing OMOP column(s) {', '.join(missing)}; "
            "the file must have every CDM v5.4 column of its table"
        )
    try:
        return data.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SourceFileError(f"{path}: columns do not fit the CDM v5.4 types ({error})") from error


# --- FHIR NDJSON ------------------------------------------------------------------------------


def _patient_reference(resource: dict[str, Any]) -> str | None:
    if resource.get("resourceType") == "Patient":
        return f"Patient/{resource.get('id')}"
    for key in ("subject", "patient", "beneficiary"):
        value = resource.get(key)
        if isinstance(value, dict) and isinstance(value.get("reference"), str):
            return str(value["reference"])
    return None


def _fhir_rows(path: Path) -> Iterator[tuple[int, dict[str, Any], str]]:
    """(line number, resource, raw line) for every non-blank line of an NDJSON file."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8", errors="strict").strip() if raw.strip() else ""
            if not text:
                continue
            try:
                resource = json.loads(text)
            except json.JSONDecodeError as error:
                raise SourceFileError(
                    f"{path}:{number}: not a JSON object ({error.msg}); "
                    "fix or remove the line and load again"
                ) from error
            if (
                not isinstance(resource, dict)
                or not resource.get("resourceType")
                or not resource.get("id")
            ):
                raise SourceFileError(
                    f"{path}:{number}: not a FHIR resource (needs resourceType and id)"
                )
            yield number, resource, text


class _FhirSpill:
    """Per resource type, the parsed rows of one load, spilled to Parquet in a scratch folder."""

    def __init__(self, scratch: Path, run_id: str, loaded_at: datetime) -> None:
        self._scratch = scratch
        self._run_id = run_id
        self._loaded_at = loaded_at
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self.files_by_type: dict[str, set[str]] = {}

    def add(self, source: str, line: int, resource: dict[str, Any], text: str) -> None:
        resource_type = str(resource["resourceType"])
        meta = resource.get("meta")
        row = {
            "resource_type": resource_type,
            "resource_id": str(resource["id"]),
            "last_updated": meta.get("lastUpdated") if isinstance(meta, dict) else None,
            "patient_reference": _patient_reference(resource),
            "resource_json": text,
            "source_file": source,
            "source_line": line,
            "pipeline_run_id": self._run_id,
            "loaded_at": self._loaded_at,
        }
        self._pending.setdefault(resource_type, []).append(row)
        self.files_by_type.setdefault(resource_type, set()).add(source)
        if len(self._pending[resource_type]) >= _BATCH_ROWS:
            self._flush(resource_type)

    def _flush(self, resource_type: str) -> None:
        rows = self._pending.pop(resource_type, [])
        if not rows:
            return
        schema = fhir_table(resource_type).schema
        if resource_type not in self._writers:
            self._writers[resource_type] = pq.ParquetWriter(
                self._scratch / f"{resource_type}.parquet", schema
            )
        self._writers[resource_type].write_table(pa.Table.from_pylist(rows, schema=schema))

    def close(self) -> None:
        for resource_type in list(self._pending):
            self._flush(resource_type)
        for writer in self._writers.values():
            writer.close()

    def batches(self, resource_type: str, sources: list[_SourceFile]) -> Iterator[pa.RecordBatch]:
        wanted = pa.array([source.path for source in sources])
        parquet = pq.ParquetFile(self._scratch / f"{resource_type}.parquet")
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
            keep = pc.is_in(batch.column("source_file"), value_set=wanted)
            yield batch.filter(keep)


def load_fhir_ndjson(
    catalog: Catalog,
    files: list[Path],
    run_id: str,
    *,
    force: bool = False,
    loaded_at: datetime | None = None,
) -> list[TableLoad]:
    """Load FHIR R4 Bulk Data NDJSON files (any resource types) into `bronze.fhir_<type>`."""
    stamp = loaded_at or _now()
    scratch = Path(tempfile.mkdtemp(prefix="healthlake-ingest-"))
    try:
        spill = _FhirSpill(scratch, run_id, stamp)
        hashes: dict[str, str] = {}
        try:
            for path in files:
                source = str(path.resolve())
                hashes[source] = file_sha256(path)
                try:
                    for line, resource, text in _fhir_rows(path):
                        spill.add(source, line, resource, text)
                except UnicodeDecodeError as error:
                    raise SourceFileError(
                        f"{path}: not UTF-8 text (byte {error.start}); FHIR NDJSON must be UTF-8"
                    ) from error
        finally:
            spill.close()
        results = []
        for resource_type in sorted(spill.files_by_type):
            sources = [
                _SourceFile(path, hashes[path])
                for path in sorted(spill.files_by_type[resource_type])
            ]
            results.append(
                _commit(
                    catalog,
                    fhir_table(resource_type),
                    sources,
                    partial(spill.batches, resource_type),
                    run_id,
                    force,
                )
            )
        return results
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- Generated datasets -----------------------------------------------------------------------


def load_generated(
    catalog: Catalog, folder: Path, run_id: str, *, force: bool = False
) -> list[TableLoad]:
    """Load a folder written by `python -m generators generate`, as listed in its manifest."""
    manifest = read_manifest(folder)
    stamp = _now()
    fhir_files = [
        folder / entry["path"] for entry in manifest["files"] if entry["format"] == "fhir-ndjson"
    ]
    results = load_fhir_ndjson(catalog, fhir_files, run_id, force=force, loaded_at=stamp)
    for entry in manifest["files"]:
        if entry["format"] == "omop-parquet":
            results.append(
                load_omop_parquet(
                    catalog,
                    entry["table"],
                    [folder / entry["path"]],
                    run_id,
                    force=force,
                    loaded_at=stamp,
                )
            )
    return results


def _now() -> datetime:
    """Load time, UTC, as a naive timestamp (Iceberg `timestamp`, no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)
