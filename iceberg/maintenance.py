"""Maintenance of bronze tables: compact small files, expire old snapshots, delete what they held.

`just maintain` runs `maintain_namespace`. Neither step changes what a query of the current
snapshot returns: compaction rewrites the current rows into fewer files in one commit (a new
snapshot with the same rows), and expiry only forgets snapshots older than the last `keep`.
"""

from __future__ import annotations

import random
import time
import warnings
from dataclasses import dataclass

from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException, NoSuchNamespaceError, ValidationException
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.table import Table

from iceberg import streaming
from iceberg.catalog import BRONZE
from iceberg.exceptions import IcebergLayerError
from iceberg.streaming import scan_reader
from iceberg.tables import RUN_ID_PROPERTY

# A data file smaller than this counts as small; two or more small files trigger a compaction.
SMALL_FILE_BYTES = 32 * 1024 * 1024
DEFAULT_KEEP_SNAPSHOTS = 10
_COMMIT_ATTEMPTS = 5


@dataclass(frozen=True)
class Maintained:
    """What maintenance did to one table."""

    table: str
    files_before: int
    files_after: int
    compacted: bool
    snapshots_expired: int
    files_deleted: int

    def describe(self) -> str:
        """One line for the command's output."""
        compacted = (
            f"compacted {self.files_before} -> {self.files_after} data file(s)"
            if self.compacted
            else f"{self.files_after} data file(s), no compaction needed"
        )
        return (
            f"{self.table}: {compacted}; expired {self.snapshots_expired} snapshot(s), "
            f"deleted {self.files_deleted} unreferenced file(s)"
        )


def _current_files(table: Table) -> tuple[list[int], int]:
    """Sizes of the current snapshot's data files, and how many delete files it has."""
    if table.current_snapshot() is None:
        return [], 0
    files = table.inspect.files()
    sizes = files.column("file_size_in_bytes").to_pylist()
    content = files.column("content").to_pylist()
    data = [size for size, kind in zip(sizes, content, strict=True) if kind == 0]
    return data, len(sizes) - len(data)


def needs_compaction(table: Table, small_file_bytes: int = SMALL_FILE_BYTES) -> bool:
    """True when the current snapshot has two or more small data files, or any delete file."""
    sizes, delete_files = _current_files(table)
    return delete_files > 0 or sum(1 for size in sizes if size < small_file_bytes) >= 2


def compact(catalog: Catalog, table: Table, run_id: str) -> Table:
    """Rewrite the current rows into as few files as the target file size allows, one commit.

    The rows stream from the current snapshot into the new files (memory stays bounded); a
    commit that loses a race with a loader is redone on top of the loader's snapshot.
    """
    identifier = table.name()
    for attempt in range(1, _COMMIT_ATTEMPTS + 1):
        table = catalog.load_table(identifier)
        reader = scan_reader(table.scan())
        transaction = table.transaction()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Delete operation did not match any records")
            streaming.overwrite(
                transaction,
                table.io,
                reader.schema,
                reader,
                overwrite_filter=AlwaysTrue(),
                snapshot_properties={RUN_ID_PROPERTY: run_id, "healthlake.operation": "compact"},
            )
        try:
            return transaction.commit_transaction()
        except (CommitFailedException, ValidationException):
            if attempt == _COMMIT_ATTEMPTS:
                raise
            time.sleep(0.2 * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


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


def maintain_table(
    catalog: Catalog,
    identifier: str,
    *,
    keep: int = DEFAULT_KEEP_SNAPSHOTS,
    run_id: str = "maintenance",
    small_file_bytes: int = SMALL_FILE_BYTES,
) -> Maintained:
    """Compact the table if it has small files, then expire snapshots beyond the last `keep`."""
    table = catalog.load_table(identifier)
    files_before = len(_current_files(table)[0])
    compacted = needs_compaction(table, small_file_bytes)
    if compacted:
        table = compact(catalog, table, run_id)
    table, expired, deleted = expire_snapshots(table, keep)
    return Maintained(
        ".".join(table.name()),
        files_before,
        len(_current_files(table)[0]),
        compacted,
        expired,
        deleted,
    )


def maintain_namespace(
    catalog: Catalog,
    *,
    keep: int = DEFAULT_KEEP_SNAPSHOTS,
    run_id: str = "maintenance",
    namespace: str = BRONZE,
) -> list[Maintained]:
    """Maintain every table of the namespace."""
    try:
        identifiers = sorted(catalog.list_tables(namespace))
    except NoSuchNamespaceError:
        identifiers = []
    return [
        maintain_table(catalog, ".".join(identifier), keep=keep, run_id=run_id)
        for identifier in identifiers
    ]
