"""Same principal, same answer: what a role reads on DuckDB is what its Athena SQL returns.

For every role and every table it may read, the role's query is rendered for Athena (sqlglot's
Athena dialect, strictly parsed back), run offline the way `just parity` runs the models
(lakehouse.athena_offline: transpiled to DuckDB, on the lakehouse the role's file was
published from) and its rows compared with the role's published file, as multisets. The
columns must be the policy's visible ones on both sides, in order, and no hidden column may
appear on either. `just parity` runs this after the model checks (docs/parity.md).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from contracts.access import role_access
from contracts.masking import role_select, salt_parameters
from contracts.model import Contract
from contracts.policies import Policies
from contracts.publish import Published, column_types, masking_salt, needs_salt
from lakehouse.athena_offline import athena_to_duckdb

FLOAT_DIGITS = 6
# The catalog Athena's tables are in: the SQL names it, as dbt-athena's compiled SQL does.
ATHENA_CATALOG = "awsdatacatalog"


@dataclass(frozen=True)
class RoleTableParity:
    """One table of one role: the rows of both engines and whether they agree."""

    role: str
    relation: str
    athena_rows: int
    duckdb_rows: int
    equal: bool
    note: str

    @property
    def passed(self) -> bool:
        return self.equal and not self.note


def _normalized(rows: Iterable[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    def value(item: Any) -> Any:
        if isinstance(item, float):
            return "nan" if math.isnan(item) else round(item, FLOAT_DIGITS)
        return item

    return Counter(tuple(value(item) for item in row) for row in rows)


def role_parity(
    policies: Policies, contracts: list[Contract], lakehouse: Path, published: Iterable[Published]
) -> list[RoleTableParity]:
    """Compare every published role file with its role's Athena SQL run offline."""
    verdicts = []
    with duckdb.connect(str(lakehouse), read_only=True) as source:
        for role_file in published:
            role = policies.role(role_file.role)
            tables = role_access(role, contracts)
            salt = masking_salt(policies, lakehouse.parent) if needs_salt(tables) else None
            with duckdb.connect(str(role_file.path), read_only=True) as published_conn:
                held = {
                    f"{schema}.{name}"
                    for schema, name in published_conn.execute(
                        "select table_schema, table_name from information_schema.tables"
                    ).fetchall()
                }
                expected = {f"{access.schema}.{access.table}" for access in tables}
                for extra in sorted(held - expected):
                    verdicts.append(
                        RoleTableParity(role.name, extra, 0, 0, False, "not readable by the role")
                    )
                for access in tables:
                    relation = f"{access.schema}.{access.table}"
                    sql = role_select(
                        access, column_types(source, access), catalog=ATHENA_CATALOG
                    ).sql(dialect="athena")
                    sqlglot.parse(sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
                    transpiled = athena_to_duckdb(sql)
                    params = salt_parameters(sqlglot.parse_one(transpiled, read="duckdb"), salt)
                    athena = source.sql(transpiled, params=params)
                    if relation not in held:
                        verdicts.append(
                            RoleTableParity(role.name, relation, 0, 0, False, "not published")
                        )
                        continue
                    duckdb_table = published_conn.table(relation)
                    visible = [column.name for column in access.visible]
                    shown_hidden = set(access.hidden) & (
                        set(athena.columns) | set(duckdb_table.columns)
                    )
                    note = ""
                    if shown_hidden:
                        note = f"hidden columns shown: {', '.join(sorted(shown_hidden))}"
                    elif list(athena.columns) != visible or list(duckdb_table.columns) != visible:
                        note = "columns differ from the policy's visible columns"
                    athena_rows = athena.fetchall()
                    duckdb_rows = duckdb_table.fetchall()
                    verdicts.append(
                        RoleTableParity(
                            role=role.name,
                            relation=relation,
                            athena_rows=len(athena_rows),
                            duckdb_rows=len(duckdb_rows),
                            equal=_normalized(athena_rows) == _normalized(duckdb_rows),
                            note=note,
                        )
                    )
    return verdicts


def report(verdicts: list[RoleTableParity]) -> str:
    """The per-role table and the totals, as `just parity` prints them."""
    role_width = max((len(v.role) for v in verdicts), default=4)
    width = max((len(v.relation) for v in verdicts), default=5)
    lines = [
        f"{'role':<{role_width}}  {'table':<{width}}  athena rows  duckdb rows  equal  note",
        "-" * (role_width + width + 40),
    ]
    for v in verdicts:
        lines.append(
            f"{v.role:<{role_width}}  {v.relation:<{width}}  {v.athena_rows:>11}  "
            f"{v.duckdb_rows:>11}  {'yes' if v.equal else 'NO':>5}  {v.note}"
        )
    lines.append("-" * (role_width + width + 40))
    roles = sorted({v.role for v in verdicts})
    passed = sum(v.passed for v in verdicts)
    lines.append(
        f"{len(roles)} roles, {len(verdicts)} role tables: {passed} equal on both engines, "
        f"with only the policy's columns"
    )
    return "\n".join(lines)
