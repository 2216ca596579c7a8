"""Time travel: a bronze table's snapshots with their run ids, and reading a table as of one.

Every load commit carries its pipeline run id in the snapshot summary (`healthlake.run-id`), so a
table can be read as of a snapshot id or as of a run: "as of run R" is the table as it was when R
finished, the same moment for every table (tables R did not touch included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError
from pyiceberg.table import Table

from iceberg.catalog import BRONZE
from iceberg.exceptions import SnapshotNotFoundError, TableNameError, TableNotLoadedError
from iceberg.streaming import scan_reader
from iceberg.tables import RUN_ID_PROPERTY

# A namespace or table name as the loaders make them (`bronze`, `fhir_patient`, `quarantine`).
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")


def table_identifier(name: str) -> str:
    """`namespace.table` for a table named `table` (in bronze) or `namespace.table`.

    Checked before the catalog sees it: PyIceberg meets `../x` or `bronze.` with a ValueError
    deep in its code, and a path-like name is never what a user means.

    Raises:
        TableNameError: `name` is not one or two names joined by a dot.
    """
    parts = name.split(".")
    if len(parts) > 2 or not all(_NAME.match(part) for part in parts):
        raise TableNameError(
            f"{name!r} is not a table name; name a bronze table such as fhir_patient or "
            "bronze.fhir_patient (letters, digits and _; at most one dot, after the namespace)"
        )
    return name if len(parts) == 2 else f"{BRONZE}.{name}"


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot of a table, as `just snapshots` lists it."""

    snapshot_id: int
    parent_id: int | None
    committed_at: datetime
    operation: str
    run_id: str | None
    added_rows: int
    deleted_rows: int
    total_rows: int
    is_current: bool


def open_table(catalog: Catalog, name: str) -> Table:
    """Bronze table `name` (`fhir_patient` or `bronze.fhir_patient`), or a clear error."""
    identifier = table_identifier(name)
    try:
        return catalog.load_table(identifier)
    except NoSuchTableError as error:
        try:
            known = ", ".join(sorted(t[-1] for t in catalog.list_tables(identifier.split(".")[0])))
        except NoSuchNamespaceError:
            known = ""
        raise TableNotLoadedError(
            f"no table {identifier} in catalog {catalog.name!r}; loaded tables: "
            f"{known or 'none (run just load or just ingest-fhir first)'}"
        ) from error


def snapshots(table: Table) -> list[SnapshotInfo]:
    """Every snapshot the table still has, oldest first."""
    current = table.current_snapshot()
    out = []
    for snapshot in sorted(table.metadata.snapshots, key=lambda s: s.timestamp_ms):
        summary = snapshot.summary
        values = summary.additional_properties if summary else {}
        out.append(
            SnapshotInfo(
                snapshot.snapshot_id,
                snapshot.parent_snapshot_id,
                datetime.fromtimestamp(snapshot.timestamp_ms / 1000, UTC),
                str(summary.operation.value) if summary else "",
                values.get(RUN_ID_PROPERTY),
                int(values.get("added-records", 0)),
                int(values.get("deleted-records", 0)),
                int(values.get("total-records", 0)),
                current is not None and snapshot.snapshot_id == current.snapshot_id,
            )
        )
    return out


def run_finished_ms(catalog: Catalog, run_id: str, namespace: str = BRONZE) -> int:
    """When run `run_id` last committed to any table of the namespace (epoch milliseconds).

    Raises:
        SnapshotNotFoundError: no snapshot of the namespace carries that run id (never loaded,
            or expired by `just maintain`).
    """
    latest: int | None = None
    for identifier in catalog.list_tables(namespace):
        for snapshot in catalog.load_table(identifier).metadata.snapshots:
            summary = snapshot.summary
            if summary and summary.additional_properties.get(RUN_ID_PROPERTY) == run_id:
                latest = max(latest or 0, snapshot.timestamp_ms)
    if latest is None:
        raise SnapshotNotFoundError(
            f"no snapshot in namespace {namespace!r} carries run id {run_id!r}; list runs with "
            "'just snapshots TABLE' (runs older than the kept snapshots were expired)"
        )
    return latest


def snapshot_at(table: Table, timestamp_ms: int) -> int | None:
    """The snapshot that was current at `timestamp_ms`, or None if the table was empty then."""
    at = None
    for snapshot in sorted(table.metadata.snapshots, key=lambda s: s.timestamp_ms):
        if snapshot.timestamp_ms <= timestamp_ms:
            at = snapshot.snapshot_id
    return at


def resolve_snapshot(
    catalog: Catalog, table: Table, *, snapshot_id: int | None = None, run_id: str | None = None
) -> int | None:
    """The snapshot id to read: the one given, the one as of a run, or the current one."""
    if snapshot_id is not None:
        if table.snapshot_by_id(snapshot_id) is None:
            known = ", ".join(str(s.snapshot_id) for s in snapshots(table)[-5:])
            raise SnapshotNotFoundError(
                f"{'.'.join(table.name())} has no snapshot {snapshot_id}; recent ones: {known}"
            )
        return snapshot_id
    if run_id is not None:
        namespace = table.name()[0]
        return snapshot_at(table, run_finished_ms(catalog, run_id, namespace))
    current = table.current_snapshot()
    return current.snapshot_id if current else None


def read_as_of(
    catalog: Catalog,
    name: str,
    *,
    snapshot_id: int | None = None,
    run_id: str | None = None,
) -> pa.RecordBatchReader:
    """Stream bronze table `name` as of a snapshot id or a run id (default: current).

    Example:
        >>> read_as_of(catalog, "fhir_patient", run_id="local-20260101T000000Z-1a2b3c4d")
    """
    table = open_table(catalog, name)
    at = resolve_snapshot(catalog, table, snapshot_id=snapshot_id, run_id=run_id)
    if at is None:
        return pa.RecordBatchReader.from_batches(table.schema().as_arrow(), iter(()))
    return scan_reader(table.scan(snapshot_id=at))
