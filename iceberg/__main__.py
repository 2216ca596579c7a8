"""Command line of the Iceberg layer.

python -m iceberg load [--from warehouse/generated] [--catalog local] [--run-id ID] [--force]
python -m iceberg check-lakehouse     # fails if another process holds the DuckDB file
python -m iceberg new-run-id          # prints a fresh pipeline run id
python -m iceberg summary [--elapsed SECONDS]
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from pyiceberg.exceptions import CommitFailedException

from generators.exceptions import GeneratorError
from iceberg.catalog import load_catalog
from iceberg.exceptions import IcebergLayerError
from iceberg.lakehouse import check_unlocked, lakehouse_path, summary
from iceberg.loaders import load_generated


def new_run_id() -> str:
    """A fresh pipeline run id: UTC time to the second plus a random suffix."""
    return f"local-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m iceberg",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="load a generated dataset into bronze")
    load.add_argument("--from", dest="source", type=Path, default=Path("warehouse/generated"))
    load.add_argument("--catalog", default="local", help="catalog name in profiles/catalogs.yml")
    load.add_argument(
        "--run-id",
        default=None,
        help="pipeline run id (default: $PIPELINE_RUN_ID, else a new one)",
    )
    load.add_argument("--force", action="store_true", help="reload files already loaded")
    check = commands.add_parser(
        "check-lakehouse", help="fail if the catalog is missing or the DuckDB file is locked"
    )
    check.add_argument("--catalog", default="local", help="catalog name in profiles/catalogs.yml")
    commands.add_parser("new-run-id", help="print a fresh pipeline run id")
    show = commands.add_parser("summary", help="tables and row counts of the DuckDB lakehouse")
    show.add_argument("--elapsed", type=float, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "load":
            run_id = args.run_id or os.environ.get("PIPELINE_RUN_ID") or new_run_id()
            catalog = load_catalog(args.catalog, create=True)
            results = load_generated(catalog, args.source, run_id, force=args.force)
            print(f"loaded {args.source} into catalog {args.catalog!r} (run {run_id}):")
            for result in results:
                print(f"  {result.describe()}")
            if any(result.skipped for result in results):
                print("  (unchanged files are skipped; --force reloads them)")
        elif args.command == "new-run-id":
            print(new_run_id())
        elif args.command == "check-lakehouse":
            load_catalog(args.catalog)
            check_unlocked(lakehouse_path())
        elif args.command == "summary":
            path = lakehouse_path()
            if not path.exists():
                raise IcebergLayerError(f"no lakehouse at {path}; run 'just build' first")
            print(summary(path, args.elapsed))
    except (IcebergLayerError, GeneratorError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except CommitFailedException as error:
        print(
            f"error: another writer committed to the same table first ({error}); run the "
            "load again",
            file=sys.stderr,
        )
        return 2
    except duckdb.IOException as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
