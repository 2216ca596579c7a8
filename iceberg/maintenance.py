"""Maintenance of bronze tables: compact small files, expire old snapshots, delete orphan files.

`just maintain` runs `maintain_namespace`. None of the steps changes what a query of the current
snapshot returns: compaction rewrites some of the current files into fewer in one commit (a new
snapshot with the same rows), expiry only forgets snapshots older than the last `keep`, and
orphan removal deletes only files no snapshot or metadata file of the table refers to.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
from pyarrow.fs import FileSelector, FileType
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException, NoSuchNamespaceError, ValidationException
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.table import FileScanTask, Table

from iceberg import streaming
from iceberg.catalog import BRONZE
from iceberg.exceptions import IcebergLayerError
from iceberg.streaming import scan_reader
from iceberg.tables import RUN_ID_PROPERTY

DEFAULT_KEEP_SNAPSHOTS = 10
# A data file holding fewer rows than this fraction of a full file's counts as small.
SMALL_FILE_FRACTION = 0.5
# Rows read from one data file to learn a table's Arrow bytes per row.
_SAMPLE_ROWS = 10_000
# Files under a table's location that nothing references are deleted only once they are older
# than this: a load in progress has written its data files but not yet committed them, and a
# load of a very large export stages its first table hours before its last commit.
DEFAULT_ORPHAN_AGE = timedelta(hours=24)
_COMMIT_ATTEMPTS = 5
# The folders of a table's location that maintenance lists for orphans.
_TABLE_FOLDERS = ("data", "metadata")


@dataclass(frozen=True)
class Maintained:
    """What maintenance did to one table."""

    table: str
    files_before: int
    files_after: int
    files_rewritten: int
    files_written: int
    snapshots_expired: int
    files_deleted: int
    orphans_deleted: int = 0
    # Orphan files younger than the grace period: kept, maybe a load in progress.
    orphans_kept: int = 0

    @property
    def compacted(self) -> bool:
        """True when a compaction was committed."""
        return self.files_rewritten > 0

    def describe(self) -> str:
        """One line for the command's output."""
        compacted = (
            f"compacted {self.files_rewritten} small of {self.files_before} data file(s) into "
            f"{self.files_written} ({self.files_before} -> {self.files_after})"
            if self.compacted
            else f"{self.files_after} data file(s), no compaction needed"
        )
        orphans = f"deleted {self.orphans_deleted} orphan file(s)"
        if self.orphans_kept:
            orphans += f" ({self.orphans_kept} too recent, kept)"
        return (
            f"{self.table}: {compacted}; expired {self.snapshots_expired} snapshot(s), "
            f"deleted {self.files_deleted} unreferenced file(s); {orphans}"
        )


# --- Compaction --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompactionPlan:
    """Which data files of the current snapshot a compaction rewrites."""

    data_files: int
    # The files to rewrite; empty when no compaction is needed.
    rewrite: list[FileScanTask]
    # The snapshot has delete files: every row is rewritten so that the deletes are applied.
    whole_table: bool = False


def full_file_rows(table: Table, tasks: list[FileScanTask]) -> float:
    """Rows in a full data file of the table, in the writer's own unit.

    The writer (iceberg/streaming.py, PyIceberg) closes a data file at
    `write.target-file-size-bytes` of *uncompressed Arrow* data; on disk that is 5-25x smaller
    and varies with compression, so file sizes cannot tell a full file from a small one. Row
    counts can: the manifests record every file's, and the Arrow bytes per row of the table are
    learned from a sample of rows of its largest data file (one small read per table, whatever
    engine wrote the file).
    """
    largest = max(tasks, key=lambda task: task.file.file_size_in_bytes)
    with table.io.new_input(largest.file.file_path).open() as stream:
        parquet = pq.ParquetFile(stream)
        sample = next(parquet.iter_batches(batch_size=_SAMPLE_ROWS, row_groups=[0]), None)
        if sample is None or sample.num_rows == 0:
            return math.inf
        bytes_per_row = sample.nbytes / sample.num_rows
    return streaming.target_file_bytes(table.metadata) / max(bytes_per_row, 1.0)


def plan_compaction(table: Table) -> CompactionPlan:
    """The data files to rewrite: the small ones, when there are two or more.

    Like Iceberg's `rewrite_data_files` bin-pack strategy, full files are never rewritten: a file
    is small when it holds fewer than half the rows of a full file (`full_file_rows`). Rewriting
    k >= 2 small files yields at most ceil(k / 2) files, all full but the last, so a second run
    finds at most one small file and does nothing. A snapshot with delete files is rewritten
    whole instead, so that the deletes are applied and dropped.
    """
    if table.current_snapshot() is None:
        return CompactionPlan(0, [])
    tasks = list(table.scan().plan_files())
    if any(task.delete_files for task in tasks):
        return CompactionPlan(len(tasks), tasks, whole_table=True)
    if len(tasks) < 2:
        return CompactionPlan(len(tasks), [])
    small_below = SMALL_FILE_FRACTION * full_file_rows(table, tasks)
    small = [task for task in tasks if task.file.record_count < small_below]
    return CompactionPlan(len(tasks), small if len(small) >= 2 else [])


def compact(catalog: Catalog, identifier: str, run_id: str) -> tuple[Table, int, int]:
    """Rewrite the table's small data files into full ones, in one commit.

    Rows stream one data file at a time (memory stays bounded). A commit that loses a race with
    a loader is redone on the loader's snapshot, the plan made again: the loader may have
    replaced some of the small files.

    Returns:
        The table after compaction, the number of data files rewritten and of files written
        (0, 0 when nothing needed compacting).
    """
    properties = {RUN_ID_PROPERTY: run_id, "healthlake.operation": "compact"}
    for attempt in range(1, _COMMIT_ATTEMPTS + 1):
        table = catalog.load_table(identifier)
        plan = plan_compaction(table)
        if not plan.rewrite:
            return table, 0, 0
        transaction = table.transaction()
        written = []
        if plan.whole_table:
            reader = scan_reader(table.scan())
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Delete operation did not match any records")
                streaming.overwrite(
                    transaction,
                    table.io,
                    reader.schema,
                    reader,
                    overwrite_filter=AlwaysTrue(),
                    snapshot_properties=properties,
                )
        else:
            written = streaming.rewrite_files(transaction, table.io, plan.rewrite, properties)
        try:
            table = transaction.commit_transaction()
        except (CommitFailedException, ValidationException):
            # Not committed: the files this attempt wrote are referenced by nothing.
            for data_file in written:
                table.io.delete(data_file.file_path)
            if attempt == _COMMIT_ATTEMPTS:
                raise
            time.sleep(0.2 * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
            continue
        files_written = len(written) if written else len(list(table.scan().plan_files()))
        return table, len(plan.rewrite), files_written
    raise AssertionError("unreachable")


# --- Snapshot expiry ---------------------------------------------------------------------------


def _referenced_files(table: Table) -> set[str]:
    """Every data, delete, manifest and manifest-list file any kept snapshot needs."""
    if not table.metadata.snapshots:
        return set()
    referenced = set(table.inspect.all_files().column("file_path").to_pylist())
    referenced |= set(table.inspect.all_manifests().column("path").to_pylist())
    referenced |= {s.manifest_list for s in table.metadata.snapshots if s.manifest_list}
    return referenced


def expire_snapshots(table: Table, keep: int) -> tuple[Table, int, int]:
    """Expire all but the newest `keep` snapshots and delete the files only they referenced.

    Returns:
        The table after expiry, the number of snapshots expired and of files deleted.
    """
    if keep < 1:
        raise IcebergLayerError(f"--keep must be at least 1 (the current snapshot), not {keep}")
    ordered = sorted(table.metadata.snapshots, key=lambda s: s.timestamp_ms)
    current = table.current_snapshot()
    protected = {ref.snapshot_id for ref in table.metadata.refs.values()}
    expired = [
        s.snapshot_id
        for s in ordered[: max(0, len(ordered) - keep)]
        if s.snapshot_id not in protected
        and (current is None or s.snapshot_id != current.snapshot_id)
    ]
    if not expired:
        return table, 0, 0
    before = _referenced_files(table)
    table.maintenance.expire_snapshots().by_ids(expired).commit()
    table.refresh()
    unreferenced = before - _referenced_files(table)
    for path in sorted(unreferenced):
        table.io.delete(path)
    return table, len(expired), len(unreferenced)


# --- Orphan files ------------------------------------------------------------------------------


def _path(location: str) -> str:
    """A location as the file system sees it: `/abs/path` for file://, `bucket/key` for s3://."""
    return PyArrowFileIO.parse_location(location)[2]


def _listed_files(table: Table) -> Iterator[tuple[str, datetime | None]]:
    """Every file under the table's data/ and metadata/ folders, with its modification time.

    Listed through pyarrow's file system for the location's scheme (local disk, S3), with the
    table's FileIO settings (endpoint, region).
    """
    io = PyArrowFileIO(table.io.properties)
    for folder in _TABLE_FOLDERS:
        scheme, netloc, path = PyArrowFileIO.parse_location(
            f"{table.location().rstrip('/')}/{folder}", table.io.properties
        )
        filesystem = io.fs_by_scheme(scheme, netloc)
        listing = filesystem.get_file_info(FileSelector(path, recursive=True, allow_not_found=True))
        for info in listing:
            if info.type == FileType.File:
                yield info.path, info.mtime


def _table_references(table: Table) -> tuple[set[str], list[str]]:
    """Paths of every file the table's metadata refers to, and its property values.

    A file is referenced by a kept snapshot (its data and delete files, manifests, manifest
    list), by the metadata itself (the current metadata file, those in its log, statistics and
    partition statistics files), or by a table property: healthlake keeps files of its own
    under metadata/ (the loaded-files ledger) and points to them from a property.
    """
    locations = _referenced_files(table)
    locations.add(table.metadata_location)
    locations |= {entry.metadata_file for entry in table.metadata.metadata_log}
    locations |= {stats.statistics_path for stats in table.metadata.statistics}
    locations |= {stats.statistics_path for stats in table.metadata.partition_statistics}
    return {_path(location) for location in locations}, list(table.properties.values())


def _named_by_property(path: str, relative: str, values: list[str]) -> bool:
    # Substring, not equality: a property may hold the location inside a larger value (JSON),
    # with or without its scheme, or relative to the table. Keeping a file by mistake costs a
    # little disk; deleting one by mistake loses data.
    return any(path in value or relative in value for value in values)


def remove_orphan_files(
    catalog: Catalog, identifier: str, older_than: timedelta = DEFAULT_ORPHAN_AGE
) -> tuple[int, int]:
    """Delete the files under the table's location that nothing refers to, once old enough.

    An orphan is a file under the table's `data/` or `metadata/` folder that no kept snapshot,
    metadata file or table property refers to: the data files of a load killed before its
    commit, the files of a commit that lost a race, metadata files that fell out of the log,
    a replaced ledger. Files younger than `older_than` are kept: a load in progress has written
    data files it has not committed yet.

    Returns:
        The number of orphans deleted and of orphans kept because they were too recent.
    """
    table = catalog.load_table(identifier)
    # List first, then read the references: a file committed meanwhile is then referenced.
    listed = list(_listed_files(table))
    table = catalog.load_table(identifier)
    referenced, property_values = _table_references(table)
    root = _path(table.location()).rstrip("/") + "/"
    cutoff = datetime.now(UTC) - older_than
    io = PyArrowFileIO(table.io.properties)
    scheme, netloc, _ = PyArrowFileIO.parse_location(table.location(), table.io.properties)
    filesystem = io.fs_by_scheme(scheme, netloc)
    deleted = kept = 0
    for path, modified in listed:
        if path in referenced or _named_by_property(path, path.removeprefix(root), property_values):
            continue
        if modified is None or modified > cutoff:
            kept += 1
            continue
        filesystem.delete_file(path)
        deleted += 1
    return deleted, kept


# --- All steps ---------------------------------------------------------------------------------


def maintain_table(
    catalog: Catalog,
    identifier: str,
    *,
    keep: int = DEFAULT_KEEP_SNAPSHOTS,
    run_id: str = "maintenance",
    orphan_age: timedelta = DEFAULT_ORPHAN_AGE,
) -> Maintained:
    """Compact the table's small files, expire snapshots beyond the last `keep`, then delete
    orphan files older than `orphan_age`."""
    if orphan_age < timedelta(0):
        raise IcebergLayerError(f"the orphan age must be 0 or more, not {orphan_age}")
    table = catalog.load_table(identifier)
    files_before = len(list(table.scan().plan_files())) if table.current_snapshot() else 0
    table, rewritten, written = compact(catalog, identifier, run_id)
    table, expired, deleted = expire_snapshots(table, keep)
    files_after = len(list(table.scan().plan_files())) if table.current_snapshot() else 0
    orphans_deleted, orphans_kept = remove_orphan_files(catalog, identifier, orphan_age)
    return Maintained(
        ".".join(table.name()),
        files_before,
        files_after,
        rewritten,
        written,
        expired,
        deleted,
        orphans_deleted,
        orphans_kept,
    )


def maintain_namespace(
    catalog: Catalog,
    *,
    keep: int = DEFAULT_KEEP_SNAPSHOTS,
    run_id: str = "maintenance",
    orphan_age: timedelta = DEFAULT_ORPHAN_AGE,
    namespace: str = BRONZE,
) -> list[Maintained]:
    """Maintain every table of the namespace.

    Raises:
        IcebergLayerError: `keep` is below 1 (checked before the first table is compacted).
    """
    if keep < 1:
        raise IcebergLayerError(f"--keep must be at least 1 (the current snapshot), not {keep}")
    try:
        identifiers = sorted(catalog.list_tables(namespace))
    except NoSuchNamespaceError:
        identifiers = []
    return [
        maintain_table(
            catalog, ".".join(identifier), keep=keep, run_id=run_id, orphan_age=orphan_age
        )
        for identifier in identifiers
    ]
