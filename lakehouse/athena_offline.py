"""Athena SQL, run offline on DuckDB: sqlglot's Trino -> DuckDB transpiler, plus the few
functions it passes through unchanged although DuckDB has none of that name (`fail`,
`is_json_scalar`, `at_timezone`).

This is how `just parity` and `just view --engine athena` prove Athena SQL without AWS: the SQL
Athena would run is parsed as Trino, rewritten for DuckDB and run on the same data as the
native build. It proves the SQL means what we think under sqlglot's reading of Trino; a real
Trino proves it under Trino's (docs/parity.md).
"""

from __future__ import annotations

import sys

import sqlglot
from sqlglot import exp

# sqlglot parses recursively, one Python frame per nesting level of an expression: a
# ViewDefinition `repeat` unrolled to views.compiler.REPEAT_DEPTH levels nests lambdas deeply.
_RECURSION_LIMIT = 20_000


def _duckdb_equivalent(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.Anonymous):
        return node
    name = node.name.lower()
    if name == "fail":
        return exp.Anonymous(this="error", expressions=node.expressions)
    if name == "at_timezone":  # Trino's function form of `AT TIME ZONE` (sqlglot writes it)
        value, zone = node.expressions
        return exp.AtTimeZone(this=value, zone=zone)
    if name == "is_json_scalar":
        (value,) = node.expressions
        return exp.Not(
            this=exp.In(
                this=exp.Anonymous(this="json_type", expressions=[value]),
                expressions=[exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")],
            )
        )
    return node


def athena_to_duckdb(sql: str) -> str:
    """Transpile Athena SQL to DuckDB, pointing `awsdatacatalog.<schema>.<table>` at the same
    schema and table in the DuckDB lakehouse."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        tree = sqlglot.parse_one(sql, read="athena")
        for table in tree.find_all(exp.Table):
            if table.catalog == "awsdatacatalog":
                table.set("catalog", None)
        return tree.transform(_duckdb_equivalent).sql(dialect="duckdb")
    finally:
        sys.setrecursionlimit(limit)
