"""What a role can read: the contracts' tables it is a reader of, each column with its mask, and
the row filter. `just access ROLE` prints it; the publisher and the role SQL are built from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from contracts.drift import MODELS_DIR, dbt_models
from contracts.model import Contract
from contracts.policies import Mask, Role


@dataclass(frozen=True)
class ColumnAccess:
    """One column of a table as a role sees it: `mask` None is the value as it is."""

    name: str
    classification: str | None
    logical_type: str | None
    mask: Mask | None


@dataclass(frozen=True)
class TableAccess:
    """One table a role may read, in the schema the build writes it to."""

    product: str
    schema: str
    table: str
    columns: tuple[ColumnAccess, ...]
    row_filter_column: str | None
    row_filter_values: tuple[str, ...]

    @property
    def visible(self) -> tuple[ColumnAccess, ...]:
        """The columns the role's copy has: all but the removed ones."""
        return tuple(c for c in self.columns if c.mask is not Mask.REMOVE)

    @property
    def hidden(self) -> tuple[str, ...]:
        """The columns the role's copy does not have."""
        return tuple(c.name for c in self.columns if c.mask is Mask.REMOVE)


def role_access(
    role: Role, contracts: Iterable[Contract], models_dir: Path = MODELS_DIR
) -> list[TableAccess]:
    """Every table `role` may read: its contract names it a reader, and its row filter (if it has
    one) names the table's filter column. In schema, then table order."""
    # The schema of a product table is the folder of its dbt model (omop/, gold/), as the build
    # names schemas after those folders (dbt_project.yml).
    schemas = {name: model["_path"].parent.name for name, model in dbt_models(models_dir).items()}
    tables: list[TableAccess] = []
    for contract in contracts:
        for table in contract.tables:
            if role.name not in table.readers or not role.may_read(table.name):
                continue
            tables.append(
                TableAccess(
                    product=contract.name,
                    schema=schemas[table.name],
                    table=table.name,
                    columns=tuple(
                        ColumnAccess(
                            name=column.name,
                            classification=column.classification,
                            logical_type=column.logical_type,
                            mask=role.mask_for(table.name, column.name, column.classification),
                        )
                        for column in table.columns
                    ),
                    row_filter_column=role.row_filter.column(table.name)
                    if role.row_filter
                    else None,
                    row_filter_values=role.row_filter.values if role.row_filter else (),
                )
            )
    return sorted(tables, key=lambda t: (t.schema, t.table))


def describe(role: Role, tables: list[TableAccess]) -> str:
    """What `role` can read, as `just access ROLE` prints it."""
    lines = [f"role {role.name}: {role.description}"]
    if role.is_unrestricted:
        lines.append("masks: none (every column as it is)")
    if role.row_filter is not None:
        lines.append(
            f"row filter: rows of {', '.join(role.row_filter.values)} only, on each table's "
            "filter column; tables without one are not readable"
        )
    else:
        lines.append("row filter: none (every row)")
    for access in tables:
        masked = [c for c in access.columns if c.mask is not None]
        where = (
            f"; rows where {access.row_filter_column} in ({', '.join(access.row_filter_values)})"
            if access.row_filter_column
            else ""
        )
        lines.append(
            f"{access.schema}.{access.table} ({access.product}): {len(access.visible)} of "
            f"{len(access.columns)} columns, {len(masked)} masked{where}"
        )
        width = max(len(c.name) for c in access.columns)
        for column in access.columns:
            mask = column.mask.value if column.mask else "-"
            lines.append(f"    {column.name:<{width}}  {column.classification or '-':<8}  {mask}")
    return "\n".join(lines)
