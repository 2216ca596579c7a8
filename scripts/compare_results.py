"""Compare the tables a real Athena build made with the local DuckDB build: the check `just
parity` cannot make offline, for a user with an AWS account (docs/parity.md).

    uv run python scripts/compare_results.py [--schemas omop gold] [--lakehouse PATH]

After `just load glue` and `dbt build --target athena` on the same input as the local build,
it reads every table of the chosen schemas from Athena (PyAthena, the driver dbt-athena uses,
with the same HEALTHLAKE_ATHENA_* settings) and compares it with the same table in
warehouse/lakehouse.duckdb: row counts and rows (order-insensitive, floats to 1e-6, the build
time and invocation columns left out), one line per table. Exit status 1 if any table differs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

from common.cli import OneLineParser, path_argument, print_error
from common.paths import REPO_ROOT
from scripts.parity import ParityError, compare


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ParityError(f"set {name} (see docs/parity.md) and run again")
    return value


def athena_tables(schemas: list[str]) -> dict[str, object]:
    """Every table of `schemas` in Athena, as Arrow tables keyed by `schema.table`."""
    from pyathena import connect
    from pyathena.arrow.cursor import ArrowCursor

    connection = connect(
        s3_staging_dir=_required("HEALTHLAKE_ATHENA_S3_STAGING_DIR"),
        region_name=_required("AWS_REGION"),
        work_group=os.environ.get("HEALTHLAKE_ATHENA_WORKGROUP", "primary"),
        cursor_class=ArrowCursor,
    )
    cursor = connection.cursor()
    tables: dict[str, object] = {}
    for schema in schemas:
        cursor.execute(f'show tables in "{schema}"')
        for (name,) in cursor.fetchall():
            cursor.execute(f'select * from "{schema}"."{name}"')
            tables[f"{schema}.{name}"] = cursor.as_arrow()
    return tables


def compare_with_lakehouse(lakehouse: Path, tables: dict[str, object]) -> list[tuple[str, str]]:
    """(table, verdict) for every table read from Athena."""
    verdicts = []
    with duckdb.connect(str(lakehouse), read_only=True) as conn:
        for name, arrow in sorted(tables.items()):
            schema, table = name.split(".", 1)
            view = f"athena_{schema}_{table}"
            conn.register(view, arrow)
            try:
                athena_rows, duckdb_rows, differing = compare(
                    conn, f'"{schema}"."{table}"', f'select * from "{view}"'
                )
            except duckdb.Error as error:
                verdicts.append((name, f"cannot compare: {str(error).splitlines()[0]}"))
                continue
            finally:
                conn.unregister(view)
            verdict = "equal" if differing == 0 else f"{differing} rows differ"
            verdicts.append((name, f"{verdict} (athena {athena_rows}, duckdb {duckdb_rows})"))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    """Compare and print; return the exit status."""
    parser = OneLineParser(prog="scripts/compare_results.py", description=__doc__)
    parser.add_argument("--schemas", nargs="+", default=["omop", "gold"])
    parser.add_argument(
        "--lakehouse", type=path_argument, default=REPO_ROOT / "warehouse" / "lakehouse.duckdb"
    )
    args = parser.parse_args(argv)
    try:
        if not args.lakehouse.exists():
            raise ParityError(f"no lakehouse at {args.lakehouse}; run 'just run-local' first")
        verdicts = compare_with_lakehouse(args.lakehouse, athena_tables(args.schemas))
    except ParityError as error:
        return print_error(error)
    width = max((len(name) for name, _ in verdicts), default=10)
    for name, verdict in verdicts:
        print(f"{name:<{width}}  {verdict}")
    return 0 if all(verdict.startswith("equal") for _, verdict in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
