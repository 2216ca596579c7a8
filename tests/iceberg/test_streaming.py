"""Bounded memory for bronze: the settings and the one-file-at-a-time order that keep it flat.

No timings or memory thresholds (they flake on a shared machine): these check the mechanism.
`just bench-bronze` measures the effect (docs/performance.md, "Bronze").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import ArrowScan
from pyiceberg.table import Table

from iceberg import streaming
from iceberg.loaders import load_fhir
from iceberg.tables import (
    FHIR_SCHEMA,
    TABLE_PROPERTIES,
    WRITE_BUFFER_BYTES,
    ensure_table,
    fhir_table,
)

ROWS_PER_BATCH = 200
BATCHES = 20


def _batch(first: int) -> pa.RecordBatch:
    ids = [f"p{n:06d}" for n in range(first, first + ROWS_PER_BATCH)]
    return pa.RecordBatch.from_pydict(
        {
            "resource_type": ["Patient"] * ROWS_PER_BATCH,
            "resource_id": ids,
            "last_updated": [None] * ROWS_PER_BATCH,
            "patient_reference": [None] * ROWS_PER_BATCH,
            "resource_json": ['{"resourceType":"Patient","id":"' + i + '"}' for i in ids],
            "source_file": ["/in/patients.ndjson"] * ROWS_PER_BATCH,
            "source_line": list(range(first, first + ROWS_PER_BATCH)),
            "pipeline_run_id": ["run-1"] * ROWS_PER_BATCH,
            "loaded_at": [datetime(2025, 1, 1)] * ROWS_PER_BATCH,
        },
        schema=FHIR_SCHEMA,
    )


def _data_files_on_disk(table: Table) -> int:
    return sum(1 for _ in Path(table.location().removeprefix("file://")).rglob("data/*.parquet"))


def _small_buffer_table(catalog: Catalog, batches_per_file: int) -> Table:
    table = ensure_table(catalog, fhir_table("Patient"))
    with table.transaction() as transaction:
        transaction.set_properties(
            {"write.target-file-size-bytes": str(_batch(0).nbytes * batches_per_file)}
        )
    return catalog.load_table(table.name())


def test_tables_buffer_one_bounded_data_file() -> None:
    assert TABLE_PROPERTIES["write.target-file-size-bytes"] == str(WRITE_BUFFER_BYTES)
    assert WRITE_BUFFER_BYTES <= 64 * 1024 * 1024


def test_loaded_tables_carry_the_write_buffer(catalog: Catalog, tmp_path: Path) -> None:
    source = tmp_path / "p.ndjson"
    source.write_text('{"resourceType":"Patient","id":"a"}\n', encoding="utf-8")
    load_fhir(catalog, [source], "run-1")
    properties = catalog.load_table("bronze.fhir_patient").properties
    assert properties["write.target-file-size-bytes"] == str(WRITE_BUFFER_BYTES)


# A first write into an empty table deletes nothing; PyIceberg says so.
@pytest.mark.filterwarnings("ignore:Delete operation did not match any records")
def test_streaming_write_reads_input_only_as_files_are_written(catalog: Catalog) -> None:
    """Input is pulled one data file's worth ahead of what is on disk, never drained up front
    (PyIceberg 0.12's own `overwrite(reader)` drains it into its thread pool's queue)."""
    batches_per_file = 4
    table = _small_buffer_table(catalog, batches_per_file)
    pulled_ahead: list[int] = []

    def batches() -> Iterator[pa.RecordBatch]:
        for number in range(BATCHES):
            written = _data_files_on_disk(table) * batches_per_file
            pulled_ahead.append(number - written)
            yield _batch(number * ROWS_PER_BATCH)

    transaction = table.transaction()
    streaming.overwrite(
        transaction, table.io, FHIR_SCHEMA, batches(), AlwaysTrue(), {"healthlake.run-id": "r"}
    )
    transaction.commit_transaction()

    table = catalog.load_table(table.name())
    assert len(table.inspect.data_files()) == BATCHES // batches_per_file
    assert max(pulled_ahead) < batches_per_file
    rows = table.scan().to_arrow()
    assert rows.num_rows == BATCHES * ROWS_PER_BATCH
    assert rows.column("resource_id").to_pylist() == sorted(rows.column("resource_id").to_pylist())
    summary = table.current_snapshot().summary  # type: ignore[union-attr]
    assert summary is not None and summary["healthlake.run-id"] == "r"


# A first write into an empty table deletes nothing; PyIceberg says so.
@pytest.mark.filterwarnings("ignore:Delete operation did not match any records")
def test_scan_reader_reads_one_file_at_a_time(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _small_buffer_table(catalog, batches_per_file=2)
    transaction = table.transaction()
    streaming.overwrite(
        transaction,
        table.io,
        FHIR_SCHEMA,
        (_batch(n * ROWS_PER_BATCH) for n in range(BATCHES)),
        AlwaysTrue(),
        {},
    )
    table = transaction.commit_transaction()
    files_read: list[int] = []
    original = ArrowScan.to_record_batches

    def counting(self: ArrowScan, tasks: list[object]) -> Iterator[pa.RecordBatch]:
        files_read.append(len(tasks))
        return original(self, tasks)  # type: ignore[arg-type]

    monkeypatch.setattr(ArrowScan, "to_record_batches", counting)
    reader = streaming.scan_reader(table.scan())
    first = reader.read_next_batch()
    assert files_read == [1] and first.num_rows <= streaming.SCAN_BATCH_ROWS
    rest = reader.read_all()
    assert files_read == [1] * (BATCHES // 2)
    assert first.num_rows + rest.num_rows == BATCHES * ROWS_PER_BATCH
    assert reader.schema == table.scan().to_arrow_batch_reader().schema
