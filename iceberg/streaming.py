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
import uuid
from collections.abc import Iterable, Iterator

import pyarrow as pa
from pyiceberg.expressions import AlwaysFalse, AlwaysTrue, BooleanExpression
from pyiceberg.io import FileIO
from pyiceberg.io.pyarrow import (
    ArrowScan,
    _check_pyarrow_schema_compatible,
    _dataframe_to_data_files,
    schema_to_pyarrow,
)
from pyiceberg.manifest import DataFile
from pyiceberg.schema import Schema
from pyiceberg.table import DataScan, FileScanTask, TableProperties, Transaction
from pyiceberg.table.metadata import TableMetadata
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
    arrow_scan = ArrowScan(
        scan.table_metadata, scan.io, projected, scan.row_filter, scan.case_sensitive
    )
    return _file_by_file(arrow_scan, projected, scan.plan_files())


def _file_by_file(
    arrow_scan: ArrowScan, projected: Schema, tasks: Iterable[FileScanTask]
) -> pa.RecordBatchReader:
    """The tasks' rows, read by `arrow_scan` one data file at a time as the consumer pulls."""
    target = schema_to_pyarrow(projected)

    def batches() -> Iterator[pa.RecordBatch]:
        for task in tasks:
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
    return target_file_bytes(transaction.table_metadata)


def target_file_bytes(table_metadata: TableMetadata) -> int:
    """The table's `write.target-file-size-bytes`: uncompressed Arrow bytes per data file."""
    value = property_as_int(
        table_metadata.properties,
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
    # Bronze tables never enable manifest merging, so PyIceberg's overwrite would fast-append too.
    update = transaction.update_snapshot(snapshot_properties=snapshot_properties)
    with update.fast_append() as append:
        for data_file in write_data_files(transaction, io, schema, batches, append.commit_uuid):
            append.append_data_file(data_file)


def rewrite_files(
    transaction: Transaction,
    io: FileIO,
    tasks: list[FileScanTask],
    snapshot_properties: dict[str, str],
) -> list[DataFile]:
    """Replace the data files of `tasks` by new files holding the same rows, in one snapshot.

    The rows are read one file at a time and written one file at a time (as `overwrite` writes),
    so memory stays bounded by about two data files whatever the table's size. The staged
    snapshot (an `overwrite` carrying `snapshot_properties`) deletes exactly the old files and
    adds the new ones; every other file of the table stays as it is. Delete files attached to
    the tasks are applied while reading but stay in the table: maintenance rewrites the whole
    table instead (`overwrite`) when it has any.

    Returns:
        The data files written, so that a caller whose commit fails can delete them.
    """
    table_metadata = transaction.table_metadata
    projected = table_metadata.schema()
    arrow_scan = ArrowScan(table_metadata, io, projected, AlwaysTrue(), case_sensitive=True)
    reader = _file_by_file(arrow_scan, projected, tasks)
    written: list[DataFile] = []
    update = transaction.update_snapshot(snapshot_properties=snapshot_properties)
    with update.overwrite() as rewrite:
        for task in tasks:
            rewrite.delete_data_file(task.file)
        for data_file in write_data_files(
            transaction, io, reader.schema, reader, rewrite.commit_uuid
        ):
            rewrite.append_data_file(data_file)
            written.append(data_file)
    return written


def write_data_files(
    transaction: Transaction,
    io: FileIO,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    write_uuid: uuid.UUID,
) -> Iterator[DataFile]:
    """Write `batches` as data files of the table, one file at a time, yielding each when it is
    on disk; the rows of the next file are read from `batches` only then.

    A file holds `write.target-file-size-bytes` of uncompressed Arrow data (PyIceberg's unit),
    except the last. `write_uuid` is the snapshot producer's `commit_uuid` (the file names).
    """
    file_numbers = itertools.count(0)
    for group in file_sized_groups(batches, write_buffer_bytes(transaction)):
        # One group per call: PyIceberg writes it as one file and returns only when it is on
        # disk, so the next group is not read before this one's memory is released.
        files = list(
            _dataframe_to_data_files(
                table_metadata=transaction.table_metadata,
                df=pa.RecordBatchReader.from_batches(schema, group),
                io=io,
                write_uuid=write_uuid,
                counter=file_numbers,
            )
        )
        del group
        yield from files
