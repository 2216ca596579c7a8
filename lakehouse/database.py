"""The DuckDB lakehouse file (`warehouse/lakehouse.duckdb`): where it is, whether another process
holds it, and what it holds (the run summary)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from common.paths import warehouse_dir
from lakehouse.exceptions import LakehouseLockedError

# The schemas a build leaves in the lakehouse, in the order a reader meets them.
SCHEMAS = ("bronze", "silver", "omop", "gold", "ops")


def lakehouse_path() -> Path:
    """`lakehouse.duckdb` in the warehouse folder."""
    return warehouse_dir() / "lakehouse.duckdb"


def check_unlocked(path: Path) -> None:
    """Fail with a clear message if another process holds the DuckDB file open.

    DuckDB allows one writing process per file; a SQL client left open on the lakehouse makes
    every dbt run fail with a long lock error, so the pipeline checks first.
    """
    if not path.exists():
        return
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as error:
        message = str(error)
        if "lock" not in message.lower():
            raise
        pid = re.search(r"PID (\d+)", message)
        holder = f" (process {pid.group(1)})" if pid else ""
        raise LakehouseLockedError(
            f"{path} is open in another process{holder}; close that SQL client or process "
            "and run again"
        ) from error


@dataclass(frozen=True)
class TableCount:
    """One table of the lakehouse and its row count."""

    schema: str
    table: str
    rows: int


def table_counts(path: Path) -> list[TableCount]:
    """Every table and view in the lakehouse's schemas with its row count."""
    with duckdb.connect(str(path), read_only=True) as conn:
        names = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) order by table_schema, table_name",
            [list(SCHEMAS)],
        ).fetchall()
        counts = []
        for schema, table in names:
            rows = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
            counts.append(TableCount(schema, table, rows))
    order = {schema: index for index, schema in enumerate(SCHEMAS)}
    return sorted(counts, key=lambda count: (order[count.schema], count.table))


# Schemas whose tables the summary lists one by one: the ones people query. The others (raw
# mirror, staging, run metadata) get one line each, so the summary stays short.
LISTED_SCHEMAS = ("omop", "gold")


def summary(path: Path, elapsed_seconds: float | None = None, *, full: bool = False) -> str:
    """The run summary printed by `just run-local`: tables, row counts, elapsed time.

    Args:
        path: the DuckDB lakehouse file.
        elapsed_seconds: the run's wall time, printed last when given.
        full: list every table of every schema, not only the omop and gold ones.
    """
    counts = table_counts(path)
    width = max((len(f"{c.schema}.{c.table}") for c in counts), default=10)
    lines = [f"lakehouse: {path}"]
    for schema in SCHEMAS:
        in_schema = [count for count in counts if count.schema == schema]
        if not in_schema:
            continue
        total = sum(count.rows for count in in_schema)
        lines.append(f"  {schema}: {len(in_schema)} tables, {total:,} rows")
        if full or schema in LISTED_SCHEMAS:
            lines += [f"    {f'{c.schema}.{c.table}':<{width}}  {c.rows:>12,}" for c in in_schema]
    lines += set_aside_report(path)
    if elapsed_seconds is not None:
        lines.append(f"done in {elapsed_seconds:.1f} s")
    return "\n".join(lines)


# The ops tables that say what a build could not use: values set aside, and resource types
# the CDM does not model (flattened by views into silver, or kept in bronze only).
SET_ASIDE = "ops.fhir_set_aside"
COVERAGE = "ops.fhir_resource_coverage"


def set_aside_report(path: Path) -> list[str]:
    """What the last build set aside and left unmodelled, as summary lines (none when nothing
    was, or when the ops tables are not there: a lakehouse built before they existed)."""
    with duckdb.connect(str(path), read_only=True) as conn:
        present = {
            f"{schema}.{table}"
            for schema, table in conn.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema = 'ops'"
            ).fetchall()
        }
        lines = []
        if SET_ASIDE in present:
            by_reason = conn.execute(
                f"select element, reason, count(*) from {SET_ASIDE} "
                "group by element, reason order by 3 desc, 1, 2"
            ).fetchall()
            if by_reason:
                values = sum(count for _, _, count in by_reason)
                lines.append(f"  set aside: {values:,} values ({SET_ASIDE}), the rest was built:")
                lines += [
                    f"    {count:>9,}  {element}: {reason}" for element, reason, count in by_reason
                ]
        if COVERAGE in present:
            columns = {
                name
                for (name,) in conn.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'ops' and table_name = 'fhir_resource_coverage'"
                ).fetchall()
            }
            # A lakehouse built before the views has no silver_views column: none are viewed.
            viewed = "silver_views is not null" if "silver_views" in columns else "false"
            for label, which in (
                ("not in the CDM, flattened by SQL-on-FHIR views (silver.fhir_view_*)", viewed),
                (f"not modelled (kept in bronze, counted in {COVERAGE})", f"not ({viewed})"),
            ):
                types = conn.execute(
                    f"select resource_type, resources from {COVERAGE} "
                    f"where not is_modelled and {which} order by resources desc, resource_type"
                ).fetchall()
                if types:
                    listed = ", ".join(f"{kind} {count:,}" for kind, count in types)
                    lines.append(f"  {label}: {listed}")
    return lines
