"""The SQL of a role's copy of a table: masked columns, filtered rows, in any sqlglot dialect.

One expression tree per table serves both engines: rendered for DuckDB it is what `just publish`
runs, rendered for Athena it is the role's Athena SQL (`just parity` runs it offline and
compares). The tree is built with sqlglot from the policy's names and values, never by pasting
text: identifiers are quoted and literals escaped by sqlglot. The hash salt is a positional
parameter (`?`), bound when the query runs, so it is in no SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp

from contracts.access import ColumnAccess, TableAccess
from contracts.policies import Mask

# Salted SHA-256 as Trino (Athena) spells it; sqlglot writes DuckDB's equivalent. `?` is the
# salt and `value` the column. NULL stays NULL.
_HASH = sqlglot.parse_one(
    "lower(to_hex(sha256(to_utf8(? || cast(value as varchar)))))", read="athena"
)


def _hashed(column: exp.Expr) -> exp.Expr:
    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name == "value":
            return column.copy()
        return node

    return _HASH.copy().transform(put)


def masked_column(column: ColumnAccess, sql_type: str) -> exp.Expr:
    """The expression of one visible column, `sql_type` its DuckDB type (for a redacted NULL of
    the same type)."""
    value = exp.column(column.name, quoted=True)
    if column.mask is None:
        masked: exp.Expr = value
    elif column.mask is Mask.REDACT:
        masked = exp.cast(exp.null(), exp.DataType.build(sql_type, dialect="duckdb"))
    elif column.mask is Mask.HASH:
        masked = _hashed(value)
    elif column.mask is Mask.YEAR:
        masked = exp.cast(exp.Extract(this=exp.var("YEAR"), expression=value), "int")
    elif column.mask is Mask.ZIP3:
        masked = exp.Substring(
            this=value, start=exp.Literal.number(1), length=exp.Literal.number(3)
        )
    else:
        raise ValueError(f"{column.name}: {column.mask} has no expression (a removed column)")
    return exp.alias_(masked, column.name, quoted=True)


def role_select(
    access: TableAccess, column_types: Mapping[str, str], catalog: str | None = None
) -> exp.Select:
    """The role's rows of one table: its visible columns masked, its rows filtered.

    Args:
        access: the table as the role may read it (contracts.access.role_access).
        column_types: the source table's DuckDB column types, by name.
        catalog: the catalog the source table is in (`awsdatacatalog` on Athena).
    """
    source = exp.table_(access.table, db=access.schema, catalog=catalog, quoted=True)
    select = exp.select(
        *(masked_column(column, column_types[column.name]) for column in access.visible)
    ).from_(source)
    if access.row_filter_column is not None:
        select = select.where(
            exp.column(access.row_filter_column, quoted=True).isin(
                *(exp.Literal.string(value) for value in access.row_filter_values)
            )
        )
    return select


def salt_parameters(sql: exp.Expr, salt: str | None) -> list[str]:
    """The bind parameters of a role query: the salt once per `?` in it."""
    count = sum(1 for _ in sql.find_all(exp.Placeholder))
    if not count:
        return []
    if salt is None:
        raise ValueError("a query that hashes needs a salt")
    return [salt] * count
