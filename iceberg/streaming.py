"""Read and write Iceberg tables with memory that does not grow with the table.

PyIceberg 0.12 documents its RecordBatchReader paths as streaming, but both hand every unit of
work to its thread pool with `Executor.map`, which submits *all* of them at once:
- `scan.to_arrow_batch_reader()` reads every data file of the scan concurrently, each into a
  whole in-memory list, and holds them until the consumer gets to them. A consumer slower than
  the reads (DuckDB inserting the rows) ends up holding most of the table.
- `transaction.overwrite(reader)` drains the reader into `write.target-file-size-bytes` bins
  (uncompressed Arrow bytes) as fast as it can read, queueing every bin for the writer threads.
  Reading the loaders' spill is faster than encoding zstd Parquet, so most of the input waits
  in memory.

Measured in docs/performance.md ("Bronze"): at 1M FHIR Patients both held ~500 MiB of Arrow
memory, the whole table. The functions here do the same work one data file at a time, using
PyIceberg's own per-file reader and writer, so memory is bounded by one data file (the write
buffer below) whatever the table's size.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import pyarrow as pa
from pyiceberg.expressions import AlwaysFalse, BooleanExpression
from pyiceberg.io import FileIO
from pyiceberg.io.pyarrow import (
    ArrowScan,
    _check_pyarrow_schema_compatible,
    _dataframe_to_data_files,
    schema_to_pyarrow,
)
from pyiceberg.table import DataScan, TableProperties, Transaction
from pyiceberg.table.snapshots import Operation
from pyiceberg.utils.properties import property_as_int

# Rows per batch handed to a scan's consumer.
SCAN_BATCH_ROWS = 8192


def scan_reader(scan: DataScan) -> pa.RecordBatchReader:
    """The scan's rows as a RecordBatchReader that holds at most one data file in memory.

    The same rows, schema and delete handling as `scan.to_arrow_batch_reader()`: each file is read
    by PyIceberg's `ArrowScan`, but the next file is read only once the previous one has been
    consumed.
    """
    if scan.limit is not None:
        # A limit would apply to each file separately here; no caller of ours sets one.
        raise ValueError("scan_reader reads whole scans; use scan.to_arrow_batch_reader()")
    projected = scan.projection()
    target = schema_to_pyarrow(projected)
    arrow_scan = ArrowScan(
        scan.table_metadata, scan.io, projected, scan.row_filter, scan.case_sensitive
    )

    def batches() -> Iterator[pa.RecordBatch]:
        for task in scan.plan_files():
            for batch in arrow_scan.to_record_batches([task]):
                # Zero-copy slices: a consumer that pulls several batches at once (DuckDB, one
                # per thread) then takes slices of the file in memory, instead of making the
                # next file be read while this one is still held.
                for start in range(0, batch.num_rows, SCAN_BATCH_ROWS):
                    yield batch.slice(start, SCAN_BATCH_ROWS)

    return pa.RecordBatchReader.from_batches(target, batches()).cast(target)


def write_buffer_bytes(transaction: Transaction) -> int:
    """Uncompressed Arrow bytes gathered per data file: the table's target file size property
    (PyIceberg's own unit for it)."""
    value = property_as_int(
        transaction.table_metadata.properties,
        TableProperties.WRITE_TARGET_FILE_SIZE_BYTES,
        TableProperties.WRITE_TARGET_FILE_SIZE_BYTES_DEFAULT,
    )
    assert value is not None
    return value


def file_sized_groups(
    batches: Iterable[pa.RecordBatch], buffer_bytes: int
) -> Iterator[list[pa.RecordBatch]]:
    """Consecutive batches grouped until a group reaches `buffer_bytes`: one data file each.

    The same rule as PyIceberg's `bin_pack_record_batches`, but lazy for the consumer: a group is
    read from `batches` only when the previous one has been written.
    """
    group: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        group.append(batch)
        size += batch.nbytes
        if size >= buffer_bytes:
            yield group
            group, size = [], 0
    if group:
        yield group


def overwrite(
    transaction: Transaction,
    io: FileIO,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    overwrite_filter: BooleanExpression,
    snapshot_properties: dict[str, str],
) -> None:
    """`transaction.overwrite(reader, overwrite_filter, snapshot_properties)`, writing one data
    file at a time: the rows matching the filter are deleted, then `batches` are appended.
    `io` is the table's (`table.io`), where the data files go.

    The snapshots it stages are the ones PyIceberg's `overwrite` stages (a delete or overwrite
    snapshot, then an append, both carrying `snapshot_properties`); nothing is visible before
    the transaction commits.
    """
    table_metadata = transaction.table_metadata
    _check_pyarrow_schema_compatible(
        table_metadata.schema(),
        provided_schema=schema,
        format_version=table_metadata.format_version,
    )
    if overwrite_filter != AlwaysFalse():
        # `_isolation_operation` as PyIceberg's overwrite passes it: conflicts with a concurrent
        # writer are then detected exactly as they were before this module.
        transaction.delete(
            delete_filter=overwrite_filter,
            snapshot_properties=snapshot_properties,
            _isolation_operation=Operation.OVERWRITE,
        )
    buffer_bytes = write_buffer_bytes(transaction)
    # Bronze tables never enable manifest merging, so PyIceberg's overwrite would fast-append too.
    update = transaction.update_snapshot(snapshot_properties=snapshot_properties)
    with update.fast_append() as append:
        file_numbers = itertools.count(0)
        for group in file_sized_groups(batches, buffer_bytes):
            # One group per call: PyIceberg writes it as one file and returns only when it is on
            # disk, so the next group is not read before this one's memory is released.
            for data_file in _dataframe_to_data_files(
                table_metadata=transaction.table_metadata,
                df=pa.RecordBatchReader.from_batches(schema, group),
                io=io,
                write_uuid=append.commit_uuid,
                counter=file_numbers,
            ):
                append.append_data_file(data_file)
            del group
