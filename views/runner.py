"""Running a compiled view: resources in, rows out, on DuckDB (natively, or Athena SQL offline).

Input is read by the same reader as `ingest-fhir` (iceberg/fhir_input.py): an NDJSON file, a
JSON document or Bundle, or a folder of them. Records that are not resources (bad JSON, no
resourceType) are counted and reported, never silently dropped. The resources go to a DuckDB
table with the bronze columns the compiled SQL reads (`resource_type`, `resource_json`).

Rows leave as Python values a JSON document can hold: FHIR values as JSON strings, numbers,
booleans and null (a decimal, kept exact as text in SQL, is written as a JSON number).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from iceberg.exceptions import SourceFileError
from iceberg.fhir_input import FileReading, find_inputs, read_records
from lakehouse.athena_offline import athena_to_duckdb
from views.compiler import CompiledView, OutputColumn, compile_view
from views.definition import ViewDefinition
from views.exceptions import ViewError, ViewInputError

RESOURCES_TABLE = "resources"
_BATCH_ROWS = 50_000
_RESOURCES_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()), ("resource_json", pa.string())]
)


@dataclass
class LoadedInput:
    """What reading the input found: resources loaded, and records that were not resources."""

    resources: int = 0
    not_resources: int = 0
    first_problem: str | None = None


def load_resources(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> LoadedInput:
    """Read FHIR input into the `resources` table of `con` (created, or replaced).

    Raises:
        ViewInputError: a path does not exist, is not FHIR input, or a gzip stream is damaged.
    """
    try:
        scan = find_inputs(paths)
    except SourceFileError as error:
        raise ViewInputError(str(error)) from None
    if not scan.inputs:
        raise ViewInputError(
            f"{', '.join(map(str, paths))}: no FHIR input (.ndjson, .jsonl or .json files) found"
        )
    loaded = LoadedInput()
    create_resources_table(con)

    def batches() -> Iterator[pa.RecordBatch]:
        columns: tuple[list[str | None], list[str | None], list[str]] = ([], [], [])
        for path in scan.inputs:
            try:
                for record in read_records(path, FileReading()):
                    if record.resource is None:
                        loaded.not_resources += 1
                        loaded.first_problem = loaded.first_problem or (
                            f"{path}:{record.line}: {record.reason}"
                        )
                        continue
                    columns[0].append(record.resource_type)
                    columns[1].append(record.resource_id)
                    columns[2].append(record.raw_text)
                    loaded.resources += 1
                    if len(columns[2]) >= _BATCH_ROWS:
                        yield pa.record_batch(list(columns), schema=_RESOURCES_SCHEMA)
                        columns = ([], [], [])
            except SourceFileError as error:
                raise ViewInputError(str(error)) from None
        if columns[2]:
            yield pa.record_batch(list(columns), schema=_RESOURCES_SCHEMA)

    reader = pa.RecordBatchReader.from_batches(_RESOURCES_SCHEMA, batches())
    con.register("incoming_resources", reader)
    con.execute(f"insert into {RESOURCES_TABLE} select * from incoming_resources")
    con.unregister("incoming_resources")
    return loaded


def load_bronze(con: duckdb.DuckDBPyConnection, resource_type: str, catalog_name: str) -> int:
    """The latest version of every `resource_type` resource in bronze into the `resources`
    table of `con`; how many. The version is chosen by the dbt macro fhir_latest_versions (the
    SQL dbt compiles from it, so there is one rule): what silver reads is what a view reads.

    Raises:
        ViewInputError: the catalog cannot be opened, or dbt cannot compile the macro.
    """
    from pyiceberg.exceptions import NoSuchTableError

    from iceberg.catalog import BRONZE, load_catalog
    from iceberg.exceptions import IcebergLayerError
    from iceberg.tables import FHIR_SCHEMA, fhir_table_name

    try:
        catalog = load_catalog(catalog_name)
    except IcebergLayerError as error:
        raise ViewInputError(str(error)) from None
    try:
        table = catalog.load_table(f"{BRONZE}.{fhir_table_name(resource_type)}")
        batches = table.scan().to_arrow_batch_reader()
    except NoSuchTableError:
        batches = pa.RecordBatchReader.from_batches(FHIR_SCHEMA, [])
    con.register("bronze_versions", batches)
    con.execute(
        f"create or replace temp table {RESOURCES_TABLE} as "
        f"select resource_type, resource_id, resource_json from ({_latest_versions_sql()})"
    )
    con.unregister("bronze_versions")
    return int(con.execute(f"select count(*) from {RESOURCES_TABLE}").fetchall()[0][0])


def _latest_versions_sql() -> str:
    """fhir_latest_versions('bronze_versions'), compiled by dbt for DuckDB."""
    import subprocess
    import tempfile

    from common.paths import DBT_PROJECT_DIR, PROFILES_DIR

    with tempfile.TemporaryDirectory(prefix="healthlake-view-") as work:
        result = subprocess.run(
            [
                "dbt",
                "compile",
                "--quiet",
                "--target",
                "lint",
                "--profiles-dir",
                str(PROFILES_DIR),
                "--inline",
                "{{ fhir_latest_versions('bronze_versions') }}",
            ],
            cwd=DBT_PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "DBT_TARGET_PATH": f"{work}/target", "DBT_LOG_PATH": f"{work}/logs"},
        )
    if result.returncode != 0 or "version_rank" not in result.stdout:
        detail = (result.stdout.strip() or result.stderr.strip()).splitlines()
        raise ViewInputError(
            "dbt could not compile fhir_latest_versions for reading bronze: "
            f"{detail[-1] if detail else 'no output'}"
        )
    return result.stdout


def create_resources_table(con: duckdb.DuckDBPyConnection) -> None:
    """The (empty) `resources` table compiled views read, with bronze's columns for them."""
    con.execute(
        f"create or replace temp table {RESOURCES_TABLE} (resource_type varchar, "
        "resource_id varchar, resource_json varchar)"
    )


def insert_resources(con: duckdb.DuckDBPyConnection, resources: Iterable[Any]) -> None:
    """Put parsed resources (dicts; anything else is skipped) in a new `resources` table."""
    create_resources_table(con)
    con.executemany(
        f"insert into {RESOURCES_TABLE} values (?, ?, ?)",
        [
            # json, not orjson: it writes integers of any size, as FHIR JSON may hold them.
            (r.get("resourceType"), r.get("id"), json.dumps(r))
            for r in resources
            if isinstance(r, dict)
        ],
    )


def executable_sql(compiled: CompiledView) -> str:
    """The SQL to run on DuckDB: the DuckDB SQL, or the Athena SQL transpiled (as `just
    parity` does)."""
    if compiled.engine == "athena":
        return athena_to_duckdb(compiled.sql(pretty=False))
    return compiled.sql(pretty=False)


def run(
    con: duckdb.DuckDBPyConnection,
    view: ViewDefinition,
    engine: str,
    source: exp.Expr | None = None,
) -> tuple[CompiledView, duckdb.DuckDBPyRelation]:
    """Compile `view` for `engine` and run it on `con`; the rows as a DuckDB relation.

    Raises:
        ViewError: the view does not compile, or its query stops (a column that is not a
            collection met many values; a `repeat` tree too deep).
    """
    compiled = compile_view(view, engine, source)
    try:
        relation = con.sql(executable_sql(compiled))
        return compiled, relation
    except duckdb.Error as error:
        raise ViewError(query_error_message(view, str(error))) from None


def query_error_message(view: ViewDefinition, error: str) -> str:
    """One line for a query an engine stopped: our own error() text when it was ours."""
    message = error.splitlines()[0] if error else "no message"
    marker = f"view {view.name}: "
    if marker in message:  # our own error(): the message is already the one to show
        return message[message.index(marker) :]
    return f"view {view.name}: the query failed: {message}"


def fetch(compiled: CompiledView, relation: duckdb.DuckDBPyRelation) -> list[dict[str, Any]]:
    """All rows, as JSON-ready dicts in column order.

    Raises:
        ViewError: the query stopped while it ran (a column met many values, ...).
    """
    try:
        rows = relation.fetchall()
    except duckdb.Error as error:
        raise ViewError(query_error_message(compiled.view, str(error))) from None
    return [row_json(compiled.columns, row) for row in rows]


def row_json(columns: Iterable[OutputColumn], row: Iterable[Any]) -> dict[str, Any]:
    return {
        column.name: _json_value(column, value) for column, value in zip(columns, row, strict=True)
    }


def _json_value(column: OutputColumn, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_scalar_json(column, item) for item in value]
    return _scalar_json(column, value)


def _scalar_json(column: OutputColumn, value: Any) -> Any:
    if value is None:
        return None
    if column.ansi_type is None and column.sql_type == "json":
        return json.loads(value) if isinstance(value, str) else value
    if column.ansi_type is None and column.fhir_type == "decimal" and isinstance(value, str):
        number = Decimal(value)
        return (
            int(number)
            if number == number.to_integral_value()
            and "." not in value
            and ("e" not in value.lower())
            else float(number)
        )
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


FORMATS = ("ndjson", "csv", "parquet")
PARQUET_NEEDS_DUCKDB = (
    "--format parquet is written from DuckDB's typed result; with --engine trino use "
    "--format ndjson or csv"
)


def write(
    compiled: CompiledView,
    result: duckdb.DuckDBPyRelation | list[dict[str, Any]],
    output_format: str,
    out: Path | None,
    stdout: IO[bytes],
) -> int:
    """Write the rows (a DuckDB relation, or rows another engine returned as JSON-ready dicts)
    as NDJSON, CSV or Parquet to `out` (stdout for NDJSON and CSV when None); the number of
    rows. Nothing is written when the query fails: rows are fetched first.

    Raises:
        ViewError: the query stopped, or Parquet was asked for without a file or without the
            typed DuckDB result it is written from.
    """
    if isinstance(result, list):
        if output_format == "parquet":
            raise ViewInputError(PARQUET_NEEDS_DUCKDB)
        return _write_rows(compiled, result, output_format, out, stdout)
    relation = result
    if output_format == "parquet":
        if out is None:
            raise ViewInputError("--format parquet needs --out FILE (Parquet is not a stream)")
        try:
            table = relation.to_arrow_table()
        except duckdb.Error as error:
            raise ViewError(query_error_message(compiled.view, str(error))) from None
        pq.write_table(table, out)
        return table.num_rows
    return _write_rows(compiled, fetch(compiled, relation), output_format, out, stdout)


def _write_rows(
    compiled: CompiledView,
    rows: list[dict[str, Any]],
    output_format: str,
    out: Path | None,
    stdout: IO[bytes],
) -> int:
    buffer = io.BytesIO()
    if output_format == "ndjson":
        for row in rows:
            buffer.write(orjson.dumps(row))
            buffer.write(b"\n")
    else:
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([column.name for column in compiled.columns])
        for row in rows:
            writer.writerow([_csv_cell(value) for value in row.values()])
        buffer.write(text.getvalue().encode("utf-8"))
    if out is None:
        stdout.write(buffer.getvalue())
    else:
        out.write_bytes(buffer.getvalue())
    return len(rows)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode("utf-8")
    return str(value)
