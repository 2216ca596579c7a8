"""Keep the `bronze` schema of the DuckDB lakehouse a mirror of the Iceberg `bronze` namespace.

DuckDB cannot read Iceberg here (no offline `iceberg` extension), but it reads Parquet, and an
Iceberg snapshot is a list of Parquet files. So a bronze table is, in the DuckDB file:
- a **view** over its snapshot's data files (`read_parquet([...])`, the files PyIceberg plans
  for the snapshot) when DuckDB reads those files as the table: Parquet on the local file
  system, no delete files, and one schema in the table's history (files written under an older
  schema could name a renamed column differently). Nothing is copied: the raw FHIR JSON is
  stored once, zstd-compressed in Iceberg, where a copy took 4x its bytes in the DuckDB file.
  The view names the files by absolute path: the file shows bronze where the warehouse's
  `iceberg/` folder is (any DuckDB client, no extension), and a lakehouse file moved to another
  machine keeps silver, OMOP, gold and ops but not bronze.
- otherwise a **copy**, streamed as Arrow batches from PyIceberg one data file at a time
  (`iceberg.streaming.scan_reader`), with DuckDB's memory limit lowered to MIRROR_MEMORY_LIMIT
  for the copy and put back after it: memory stays bounded for tables larger than RAM.
The snapshot each table shows is recorded in `ops.iceberg_mirror_state`; a table whose Iceberg
snapshot has not moved is left as it is. Each table is replaced inside one DuckDB transaction,
so an interrupted mirror leaves the previous table (or none), never half a table.

A build can be pinned to bronze as it was when a pipeline run finished (`as_of_run`, set by
HEALTHLAKE_BRONZE_AS_OF_RUN for dbt): each table is then copied from the snapshot that was
current at that moment, and copied again from the current one once the pin is lifted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import unquote, urlparse

import duckdb
import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError
from pyiceberg.manifest import FileFormat
from pyiceberg.table import Table

from iceberg.catalog import BRONZE
from iceberg.exceptions import TableNotLoadedError
from iceberg.streaming import scan_reader
from iceberg.tables import BronzeTable
from iceberg.time_travel import run_finished_ms, snapshot_at

STATE_TABLE = "ops.iceberg_mirror_state"
# DuckDB's memory limit while copying. By default DuckDB may use 80% of RAM and keeps the blocks
# of a table being created in its buffer pool up to that limit, so its memory grew with the
# table; under this limit it writes them to the database file instead. Restored afterwards: the
# dbt build that runs next on the same connection keeps its own limit.
MIRROR_MEMORY_LIMIT = "256MiB"


@dataclass(frozen=True)
class MirroredTable:
    """The outcome for one table."""

    table: str
    snapshot_id: int | None
    rows: int  # -1 when the table was left as it was
    changed: bool  # brought to another snapshot than the one it showed
    stored: Literal["view", "table", "unchanged"]  # a view over Parquet files, a copy, or as it was


def _literal(text: str) -> str:
    # DDL takes no bound parameters, so a view's file list is written as SQL string literals,
    # escaped here; the paths are those PyIceberg plans for the snapshot.
    return "'" + text.replace("'", "''") + "'"


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
    with memory_limited(conn, MIRROR_MEMORY_LIMIT):
        return [
            _mirror_table(catalog, conn, namespace, identifier, pinned_ms)
            for identifier in identifiers
        ]


@contextmanager
def memory_limited(conn: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """Run the block under DuckDB `memory_limit = limit`, then put the previous limit back.

    Only for a database file: an in-memory database has nowhere else to keep a table, so
    limiting it would only make large copies fail. A lower limit set by the caller is kept.
    """
    in_file = conn.execute(
        "select path is not null from duckdb_databases() where database_name = current_database()"
    ).fetchall()[0][0]
    previous = _memory_limit(conn)
    conn.execute(f"set memory_limit = '{limit}'")
    lowered = _size_bytes(_memory_limit(conn)) < _size_bytes(previous)
    if not (in_file and lowered):
        _restore_memory_limit(conn, previous)
        yield
        return
    try:
        yield
    finally:
        _restore_memory_limit(conn, previous)


def _restore_memory_limit(conn: duckdb.DuckDBPyConnection, previous: str) -> None:
    # RESET brings back DuckDB's default exactly (a printed limit is rounded); a limit the
    # caller had set is set again.
    conn.execute("reset memory_limit")
    if _memory_limit(conn) != previous:
        conn.execute(f"set memory_limit = '{previous}'")


def _memory_limit(conn: duckdb.DuckDBPyConnection) -> str:
    """DuckDB's memory limit as it prints it, e.g. '18.8 GiB'."""
    value: str = conn.execute("select current_setting('memory_limit')").fetchall()[0][0]
    return value


_SIZE_UNITS = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


def _size_bytes(text: str) -> float:
    """'18.8 GiB' -> bytes; DuckDB prints limits this way. Unparsable (e.g. no limit): inf."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([kmgt]?)(i?)b?(?:ytes)?\s*", text.lower())
    if not match:
        return math.inf
    number, prefix, binary = match.groups()
    if binary:
        return float(number) * 1024 ** " kmgt".index(prefix or " ")
    return float(number) * _SIZE_UNITS[prefix]


def _mirror_table(
    catalog: Catalog,
    conn: duckdb.DuckDBPyConnection,
    namespace: str,
    identifier: tuple[str, ...],
    pinned_ms: int | None,
) -> MirroredTable:
    """Bring one table up to its current (or pinned) snapshot: a view if it can be, else a copy."""
    name = identifier[-1]
    table = catalog.load_table(identifier)
    if pinned_ms is None:
        snapshot = table.current_snapshot()
        snapshot_id = snapshot.snapshot_id if snapshot else None
    else:
        snapshot_id = snapshot_at(table, pinned_ms)
    if _recorded_snapshot(conn, namespace, name) == snapshot_id:
        return MirroredTable(f"{namespace}.{name}", snapshot_id, -1, False, "unchanged")
    state = (namespace, name, ".".join(identifier), snapshot_id)
    files = readable_parquet_files(table, snapshot_id)
    if files is not None:
        rows = _point_view(conn, *state, table, files)
        return MirroredTable(f"{namespace}.{name}", snapshot_id, rows, True, "view")
    if snapshot_id is None:
        reader = pa.RecordBatchReader.from_batches(table.schema().as_arrow(), iter(()))
    else:
        # One data file in memory at a time: bounded for tables larger than RAM.
        reader = scan_reader(table.scan(snapshot_id=snapshot_id))
    rows = _copy(conn, *state, reader)
    return MirroredTable(f"{namespace}.{name}", snapshot_id, rows, True, "table")


def readable_parquet_files(table: Table, snapshot_id: int | None) -> list[str] | None:
    """The local paths of the snapshot's data files if reading them with DuckDB's `read_parquet`
    gives exactly the snapshot's rows and columns; None if the table must be copied instead.

    That holds when every file is Parquet on the local file system, no file has deletes to
    apply, and the table has had one schema (every file then names the columns as it does). An
    empty snapshot is copied: an empty list of files is not a table for `read_parquet`.
    """
    if snapshot_id is None or len(table.metadata.schemas) != 1:
        return None
    paths = []
    for task in table.scan(snapshot_id=snapshot_id).plan_files():
        data_file = task.file
        if task.delete_files or data_file.file_format != FileFormat.PARQUET:
            return None
        location = urlparse(data_file.file_path)
        if location.scheme == "file":
            paths.append(unquote(location.path))
        elif location.scheme == "" and data_file.file_path.startswith("/"):
            paths.append(data_file.file_path)
        else:  # s3://, gs://, ...: DuckDB would need an extension and credentials
            return None
    return paths or None


def _point_view(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    iceberg_identifier: str,
    snapshot_id: int | None,
    table: Table,
    files: list[str],
) -> int:
    """Replace `schema.name` with a view over `files`, typed as a copy of the table would be,
    and record the snapshot, in one transaction."""
    target = f"{_quote(schema)}.{_quote(name)}"
    source = f"read_parquet([{', '.join(map(_literal, files))}])"
    expected = _duckdb_types(conn, table.schema().as_arrow())
    found = {row[0]: row[1] for row in conn.execute(f"describe select * from {source}").fetchall()}
    columns = ", ".join(
        _quote(column)
        if found.get(column) == kind
        else f"cast({_quote(column)} as {kind}) as {_quote(column)}"
        for column, kind in expected.items()
    )
    create = f"create view {target} as select {columns} from {source}"
    return _replace(conn, schema, name, iceberg_identifier, snapshot_id, create)


def _duckdb_types(conn: duckdb.DuckDBPyConnection, schema: pa.Schema) -> dict[str, str]:
    """Each column's DuckDB type as DuckDB takes it from Arrow (what a copy would have)."""
    view = "__healthlake_mirror_types"
    conn.register(view, schema.empty_table())
    try:
        return {row[0]: row[1] for row in conn.execute(f"describe {_quote(view)}").fetchall()}
    finally:
        conn.unregister(view)


def _drop(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop `schema.name` if it exists, whether a table or a view (DuckDB drops by kind)."""
    kinds = conn.execute(
        "select table_type from information_schema.tables "
        "where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    if kinds:
        kind = "view" if kinds[0][0] == "VIEW" else "table"
        conn.execute(f"drop {kind} {_quote(schema)}.{_quote(name)}")


def _record(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    iceberg_identifier: str,
    snapshot_id: int | None,
    rows: int,
) -> None:
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
    conn.register(view, reader)
    try:
        create = f"create table {target} as select * from {_quote(view)}"
        return _replace(conn, schema, name, iceberg_identifier, snapshot_id, create)
    finally:
        conn.unregister(view)


def _replace(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    iceberg_identifier: str,
    snapshot_id: int | None,
    create: str,
) -> int:
    """Drop `schema.name`, run `create` (which makes it again), record the snapshot, in one
    transaction; the rows it holds."""
    conn.execute("begin transaction")
    try:
        _drop(conn, schema, name)
        conn.execute(create)
        rows: int = conn.execute(
            f"select count(*) from {_quote(schema)}.{_quote(name)}"
        ).fetchall()[0][0]
        _record(conn, schema, name, iceberg_identifier, snapshot_id, rows)
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
