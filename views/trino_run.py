"""Running compiled views on a real Trino (Athena's engine): `--engine trino`.

The view is compiled for Athena (Athena is Trino; the SQL is the same) and runs on the local
Trino that `just trino up` started. The resources go to a table in Trino's scratch `memory`
catalog, one schema per session, dropped when the session ends; values are sent as query
parameters (the client quotes them), never pasted into the SQL text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import duckdb
from sqlglot import exp

from views.compiler import CompiledView, compile_view
from views.definition import ViewDefinition
from views.exceptions import ViewError, ViewInputError
from views.runner import RESOURCES_TABLE, query_error_message, row_json

COMPILED_FOR = "athena"
# Rows per INSERT: each carries its resources as parameters in the request body.
_INSERT_ROWS = 200


class TrinoSession:
    """A connection to the local Trino with a scratch `resources` table of its own.

    Raises:
        ViewInputError: no Trino runs, or it has no scratch catalog (started by an older
            healthlake: restart it).
    """

    def __init__(self, host: str, port: int) -> None:
        import trino

        from trino_server.server import SCRATCH_CATALOG

        self._trino = trino
        self.schema = f"views_{uuid.uuid4().hex[:12]}"
        self.connection = trino.dbapi.connect(
            host=host, port=port, user="healthlake", catalog=SCRATCH_CATALOG, schema=self.schema
        )
        self.table = exp.table_(RESOURCES_TABLE, db=self.schema, catalog=SCRATCH_CATALOG)
        try:
            self._execute(f"create schema {SCRATCH_CATALOG}.{self.schema}")
        except trino.exceptions.TrinoUserError as error:
            self.connection.close()
            raise ViewInputError(
                f"Trino at {host}:{port} has no scratch catalog '{SCRATCH_CATALOG}' "
                f"({error.error_name}); restart it: just trino down && just trino up"
            ) from None
        except (OSError, trino.exceptions.TrinoConnectionError) as error:
            raise ViewInputError(
                f"Trino at {host}:{port} does not answer ({error}); start it: just trino up"
            ) from None

    @classmethod
    def local(cls) -> TrinoSession:
        """A session on the instance `just trino up` manages (ports from the environment)."""
        from trino_server.__main__ import local_trino

        trino = local_trino()
        instance = trino.instance()
        if instance is None:
            raise ViewInputError(
                "--engine trino runs on the local Trino, which is not running; "
                "start it with: just trino up"
            )
        return cls("127.0.0.1", instance.port)

    def _execute(self, sql: str, parameters: list[Any] | None = None) -> list[list[Any]]:
        cursor = self.connection.cursor()
        cursor.execute(sql, parameters)
        rows: list[list[Any]] = cursor.fetchall()
        return rows

    def replace_resources(self, rows: Iterator[tuple[Any, Any, Any]]) -> int:
        """Make `rows` (resource type, id, JSON text) the scratch resources table; how many."""
        table = self.table.sql("trino")
        self._execute(f"drop table if exists {table}")
        self._execute(
            f"create table {table} (resource_type varchar, resource_id varchar, "
            "resource_json varchar)"
        )
        count = 0
        batch: list[tuple[Any, Any, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _INSERT_ROWS:
                count += self._insert(table, batch)
                batch = []
        if batch:
            count += self._insert(table, batch)
        return count

    def _insert(self, table: str, batch: list[tuple[Any, Any, Any]]) -> int:
        placeholders = ", ".join("(?, ?, ?)" for _ in batch)
        self._execute(
            f"insert into {table} values {placeholders}",
            [value for row in batch for value in row],
        )
        return len(batch)

    def copy_resources(self, con: duckdb.DuckDBPyConnection) -> int:
        """The `resources` table DuckDB read the input into (runner.load_resources or
        load_bronze), copied to Trino; how many resources."""
        cursor = con.execute(
            f"select resource_type, resource_id, resource_json from {RESOURCES_TABLE}"
        )

        def rows() -> Iterator[tuple[Any, Any, Any]]:
            while chunk := cursor.fetchmany(_INSERT_ROWS):
                yield from chunk

        return self.replace_resources(rows())

    def run(self, view: ViewDefinition) -> tuple[CompiledView, list[dict[str, Any]]]:
        """Compile `view` for Athena over this session's resources and run it on Trino; the
        compiled view and its rows as JSON-ready dicts.

        Raises:
            ViewError: the view does not compile, or Trino refused or stopped the query.
        """
        compiled = compile_view(view, COMPILED_FOR, self.table.copy())
        try:
            rows = self._execute(compiled.sql(pretty=False))
        except self._trino.exceptions.TrinoQueryError as error:
            raise ViewError(query_error_message(view, error.message)) from None
        return compiled, [row_json(compiled.columns, row) for row in rows]

    def close(self) -> None:
        from trino_server.server import SCRATCH_CATALOG

        try:
            self._execute(f"drop table if exists {self.table.sql('trino')}")
            self._execute(f"drop schema if exists {SCRATCH_CATALOG}.{self.schema}")
        finally:
            self.connection.close()

    def __enter__(self) -> TrinoSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
