"""Command line of the DuckDB lakehouse.

python -m lakehouse build [duckdb|trino|athena] [--full-refresh]  # dbt build; on duckdb published
                                                                 # only if all passed
python -m lakehouse summary [--elapsed SECONDS] [--full]

Loading bronze, reading it and its snapshots is `python -m iceberg`.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from common.cli import OneLineParser, print_error
from common.errors import HealthlakeError
from lakehouse.build import TARGETS, build
from lakehouse.database import lakehouse_path, summary
from lakehouse.exceptions import LakehouseError


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m lakehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    building = commands.add_parser(
        "build",
        help="dbt build on a target; on duckdb the lakehouse changes only if everything passed",
    )
    # Positional for `just build athena`; --target as dbt spells it. Checked by `build`, so an
    # unknown one is a one-line error.
    building.add_argument("target", nargs="?", default=None, help=" or ".join(TARGETS))
    building.add_argument("--target", dest="target_option", default=None, help="the same")
    building.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models (FHIR staging) from all of bronze",
    )
    show = commands.add_parser("summary", help="tables and row counts of the DuckDB lakehouse")
    show.add_argument("--elapsed", type=float, default=None)
    show.add_argument("--full", action="store_true", help="list the tables of every schema")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            if args.target and args.target_option and args.target != args.target_option:
                raise LakehouseError(
                    f"two targets given ({args.target}, {args.target_option}); give one"
                )
            build(args.target_option or args.target or "duckdb", full_refresh=args.full_refresh)
        elif args.command == "summary":
            path = lakehouse_path()
            if not path.exists():
                raise LakehouseError(f"no lakehouse at {path}; run 'just build' first")
            print(summary(path, args.elapsed, full=args.full))
    except HealthlakeError as error:
        # A failed build exits 1 (or 128 + the signal that stopped it), the others 2.
        return print_error(error)
    except duckdb.IOException as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
