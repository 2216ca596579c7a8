"""Keep the `bronze` schema of the DuckDB lakehouse a mirror of the Iceberg `bronze` namespace.

DuckDB cannot read Iceberg here (no offline `iceberg` extension), so each bronze table is
copied into the DuckDB file, streamed as Arrow batches from PyIceberg (memory stays bounded for
tables larger than RAM). The snapshot each copy was taken from is recorded in
`ops.iceberg_mirror_state`; a table whose Iceberg snapshot has not moved is not copied again.
Each table is replaced inside one DuckDB transaction, so an interrupted copy leaves the
previous copy (or none), never half a table.

A build can be pinned to bronze as it was when a pipeline run finished (`as_of_run`, set by
HEALTHLAKE_BRONZE_AS_OF_RUN for dbt): each table is then copied from the snapshot that was
current at that moment, and copied again from the current one once the pin is lifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError

from iceberg.catalog import BRONZE
from iceberg.exceptions import TableNotLoadedError
from iceberg.tables import BronzeTable
from iceberg.time_travel import run_finished_ms, snapshot_at

STATE_TABLE = "ops.iceberg_mirror_state"


@dataclass(frozen=True)
class MirroredTable:
    """The outcome for one table."""

    table: str
    snapshot_id: int | None
    rows: int
    copied: bool


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ensure_state_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists ops")
    conn.execute(
        f"""
        create table if not exists {STATE_TABLE} (
            table_name varchar primary key,
            iceberg_identifier varchar not null,
            snapshot_id bigint,
            row_count bigint not null,
            mirrored_at timestamp not null
        )
        """
    )


def _recorded_snapshot(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> int | str | None:
    """The snapshot the current copy came from; the string 'absent' if there is no copy."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()[0][0]
    if not exists:
        return "absent"
    rows = conn.execute(
        f"select snapshot_id from {STATE_TABLE} where table_name = ?", [f"{schema}.{name}"]
    ).fetchall()
    return rows[0][0] if rows else "absent"


def mirror_namespace(
    catalog: Catalog,
    conn: duckdb.DuckDBPyConnection,
    namespace: str = BRONZE,
    *,
    as_of_run: str | None = None,
) -> list[MirroredTable]:
    """Bring every table of `namespace` in DuckDB up to the catalog's current snapshot.

    Args:
        catalog: the Iceberg catalog to read.
        conn: the DuckDB connection whose `namespace` schema mirrors it.
        namespace: the Iceberg namespace, and the DuckDB schema of the copies.
        as_of_run: copy each table as it was when this pipeline run finished instead.

    Raises:
        TableNotLoadedError: the namespace holds no tables (nothing was loaded yet).
        SnapshotNotFoundError: no snapshot carries `as_of_run`.
    """
    try:
        identifiers = sorted(catalog.list_tables(namespace))
    except NoSuchNamespaceError:
        identifiers = []
    if not identifiers:
        raise TableNotLoadedError(
            f"the Iceberg catalog {catalog.name!r} has no tables in namespace {namespace!r}; "
            "run 'just load' (or 'just ingest-fhir PATH') first"
        )
    pinned_ms = run_finished_ms(catalog, as_of_run, namespace) if as_of_run else None
    _ensure_state_table(conn)
    conn.execute(f"create schema if not exists {_quote(namespace)}")
    results = []
    for identifier in identifiers:
        name = identifier[-1]
        table = catalog.load_table(identifier)
        if pinned_ms is None:
            snapshot = table.current_snapshot()
            snapshot_id = snapshot.snapshot_id if snapshot else None
        else:
            snapshot_id = snapshot_at(table, pinned_ms)
        if _recorded_snapshot(conn, namespace, name) == snapshot_id:
            results.append(MirroredTable(f"{namespace}.{name}", snapshot_id, -1, copied=False))
            continue
        if snapshot_id is None:
            reader = pa.RecordBatchReader.from_batches(table.schema().as_arrow(), iter(()))
        else:
            # Streams one data file at a time: memory stays bounded for tables larger than RAM.
            reader = table.scan(snapshot_id=snapshot_id).to_arrow_batch_reader()
        rows = _copy(conn, namespace, name, ".".join(identifier), snapshot_id, reader)
        results.append(MirroredTable(f"{namespace}.{name}", snapshot_id, rows, copied=True))
    return results


def _copy(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    iceberg_identifier: str,
    snapshot_id: int | None,
    reader: pa.RecordBatchReader,
) -> int:
    """Replace `schema.name` with the reader's rows and record the snapshot, in one transaction."""
    view = f"__healthlake_mirror_{name}"
    target = f"{_quote(schema)}.{_quote(name)}"
    conn.execute("begin transaction")
    try:
        conn.register(view, reader)
        conn.execute(f"create or replace table {target} as select * from {_quote(view)}")
        conn.unregister(view)
        rows: int = conn.execute(f"select count(*) from {target}").fetchall()[0][0]
        conn.execute(
            f"insert or replace into {STATE_TABLE} values (?, ?, ?, ?, ?)",
            [
                f"{schema}.{name}",
                iceberg_identifier,
                snapshot_id,
                rows,
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return rows


def create_empty_tables(
    conn: duckdb.DuckDBPyConnection, namespace: str, definitions: list[BronzeTable]
) -> list[str]:
    """Create each table that DuckDB's `namespace` schema lacks, empty, with its bronze
    definition's columns; return the names created. Tables that exist are left alone."""
    conn.execute(f"create schema if not exists {_quote(namespace)}")
    existing = {
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [namespace],
        ).fetchall()
    }
    created = []
    for definition in definitions:
        if definition.name in existing:
            continue
        view = f"__healthlake_empty_{definition.name}"
        conn.register(view, definition.schema.empty_table())
        conn.execute(
            f"create table {_quote(namespace)}.{_quote(definition.name)} as "
            f"select * from {_quote(view)}"
        )
        conn.unregister(view)
        created.append(definition.name)
    return created
