"""Command line of the Iceberg layer.

python -m iceberg load [--from warehouse/generated] [--catalog local] [--run-id ID] [--force]
python -m iceberg ingest-fhir PATH [PATH ...] [--catalog local] [--run-id ID] [--force]
python -m iceberg snapshots TABLE [--catalog local]
python -m iceberg read TABLE [--snapshot ID | --run RUN_ID] [--limit N] [--out FILE.parquet]
python -m iceberg maintain [--keep 10] [--orphan-age-minutes 1440] [--catalog local]
python -m iceberg new-run-id             # prints a fresh pipeline run id

Building and summarising the DuckDB lakehouse is `python -m lakehouse`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.exceptions import CommitFailedException

from common.cli import OneLineParser, path_argument, print_error
from common.errors import HealthlakeError
from iceberg.catalog import load_catalog
from iceberg.exceptions import IcebergLayerError
from iceberg.loaders import LoadReport, load_fhir, load_generated
from iceberg.maintenance import DEFAULT_KEEP_SNAPSHOTS, DEFAULT_ORPHAN_AGE, maintain_namespace
from iceberg.time_travel import open_table, read_as_of, snapshots, table_identifier


def new_run_id() -> str:
    """A fresh pipeline run id: UTC time to the second plus a random suffix."""
    return f"local-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m iceberg", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="load a generated dataset into bronze")
    load.add_argument(
        "--from", dest="source", type=path_argument, default=Path("warehouse/generated")
    )
    load.add_argument("--catalog", default="local", help="catalog name in profiles/catalogs.yml")
    load.add_argument(
        "--run-id",
        default=None,
        help="pipeline run id (default: $PIPELINE_RUN_ID, else a new one)",
    )
    load.add_argument("--force", action="store_true", help="reload files already loaded")
    ingest = commands.add_parser("ingest-fhir", help="load real FHIR R4 NDJSON and Bundles")
    ingest.add_argument("paths", nargs="+", type=path_argument, help="files or folders")
    for option in (ingest,):
        option.add_argument("--catalog", default="local", help="catalog in profiles/catalogs.yml")
        option.add_argument("--run-id", default=None, help="default: $PIPELINE_RUN_ID, or new")
        option.add_argument("--force", action="store_true", help="reload content already loaded")
    listing = commands.add_parser("snapshots", help="a bronze table's snapshots and run ids")
    listing.add_argument("table", help="fhir_patient or bronze.fhir_patient")
    listing.add_argument("--catalog", default="local")
    read = commands.add_parser("read", help="read a bronze table as of a snapshot or run")
    read.add_argument("table")
    pin = read.add_mutually_exclusive_group()
    pin.add_argument("--snapshot", type=int, default=None, help="snapshot id")
    pin.add_argument("--run", default=None, help="pipeline run id")
    read.add_argument("--limit", type=int, default=10, help="rows to print (default 10)")
    read.add_argument(
        "--out", type=path_argument, default=None, help="write all rows to this Parquet file"
    )
    read.add_argument("--catalog", default="local")
    maintain = commands.add_parser(
        "maintain", help="compact small files, expire old snapshots, delete orphan files"
    )
    maintain.add_argument("--keep", type=int, default=DEFAULT_KEEP_SNAPSHOTS)
    maintain.add_argument(
        "--orphan-age-minutes",
        type=float,
        default=DEFAULT_ORPHAN_AGE / timedelta(minutes=1),
        help="delete unreferenced files only once older than this (default: %(default)g)",
    )
    maintain.add_argument("--catalog", default="local")
    commands.add_parser("new-run-id", help="print a fresh pipeline run id")
    return parser


def _print_report(what: str, report: LoadReport) -> None:
    print(f"{what} (run {report.run_id}):")
    for line in report.lines():
        print(f"  {line}")


def _check_read_arguments(args: argparse.Namespace) -> None:
    """Refuse what `read` cannot do before the table is scanned (a scan can take minutes)."""
    table_identifier(args.table)
    if args.limit < 0:
        raise IcebergLayerError(f"--limit must be 0 or more rows, not {args.limit}")
    if args.out is not None:
        folder = args.out.resolve().parent
        if not folder.is_dir():
            raise IcebergLayerError(
                f"cannot write {args.out}: no folder {folder}; create it or choose another --out"
            )
        if args.out.is_dir():
            raise IcebergLayerError(
                f"cannot write {args.out}: it is a folder; name a file such as "
                f"{args.out / 'rows.parquet'}"
            )


def _check_maintain_arguments(args: argparse.Namespace) -> None:
    """Refuse impossible settings before any table is touched (compaction comes first)."""
    if args.keep < 1:
        raise IcebergLayerError(
            f"--keep must be at least 1 (the current snapshot), not {args.keep}"
        )
    if not math.isfinite(args.orphan_age_minutes) or args.orphan_age_minutes < 0:
        raise IcebergLayerError(
            f"--orphan-age-minutes must be 0 or more (a number of minutes), not "
            f"{args.orphan_age_minutes:g}"
        )


def _print_rows(reader: pa.RecordBatchReader, limit: int, out: Path | None) -> None:
    """Print the first `limit` rows and the row count, or stream every row to a Parquet file."""
    if out is not None:
        rows = 0
        try:
            with pq.ParquetWriter(out, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
                    rows += batch.num_rows
        except OSError as error:
            raise IcebergLayerError(
                f"cannot write {out}: {error}; choose a writable --out file"
            ) from error
        print(f"wrote {rows:,} rows to {out}")
        return
    rows = 0
    shown: list[dict[str, object]] = []
    for batch in reader:
        rows += batch.num_rows
        if len(shown) < limit:
            shown.extend(batch.slice(0, limit - len(shown)).to_pylist())
    for row in shown:
        print({key: value for key, value in row.items() if key != "resource_json"})
    print(f"{rows:,} rows")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "load":
            run_id = args.run_id or os.environ.get("PIPELINE_RUN_ID") or new_run_id()
            catalog = load_catalog(args.catalog, create=True)
            report = load_generated(catalog, args.source, run_id, force=args.force)
            _print_report(f"loaded {args.source} into catalog {args.catalog!r}", report)
        elif args.command == "ingest-fhir":
            run_id = args.run_id or os.environ.get("PIPELINE_RUN_ID") or new_run_id()
            catalog = load_catalog(args.catalog, create=True)
            report = load_fhir(catalog, args.paths, run_id, force=args.force)
            shown = " ".join(str(path) for path in args.paths)
            _print_report(f"ingested {shown} into catalog {args.catalog!r}", report)
        elif args.command == "snapshots":
            table_identifier(args.table)
            table = open_table(load_catalog(args.catalog), args.table)
            print(f"{'.'.join(table.name())}:")
            print(
                f"  {'snapshot_id':>20}  {'committed_at (UTC)':<19}  {'operation':<9}  "
                f"{'+rows':>9}  {'-rows':>9}  {'total':>9}  run_id"
            )
            for snap in snapshots(table):
                mark = " (current)" if snap.is_current else ""
                print(
                    f"  {snap.snapshot_id:>20}  {snap.committed_at:%Y-%m-%d %H:%M:%S}  "
                    f"{snap.operation:<9}  {snap.added_rows:>9,}  {snap.deleted_rows:>9,}  "
                    f"{snap.total_rows:>9,}  {snap.run_id or '-'}{mark}"
                )
        elif args.command == "read":
            _check_read_arguments(args)
            catalog = load_catalog(args.catalog)
            reader = read_as_of(catalog, args.table, snapshot_id=args.snapshot, run_id=args.run)
            _print_rows(reader, args.limit, args.out)
        elif args.command == "maintain":
            _check_maintain_arguments(args)
            catalog = load_catalog(args.catalog)
            run_id = os.environ.get("PIPELINE_RUN_ID") or new_run_id()
            orphan_age = timedelta(minutes=args.orphan_age_minutes)
            done_tables = maintain_namespace(
                catalog, keep=args.keep, run_id=run_id, orphan_age=orphan_age
            )
            for done in done_tables:
                print(done.describe())
            if any(done.orphans_kept for done in done_tables):
                print(
                    f"orphan files younger than {args.orphan_age_minutes:g} minutes were kept "
                    "(a load may still be writing them); if no load is running, "
                    "--orphan-age-minutes 0 deletes them now"
                )
        elif args.command == "new-run-id":
            print(new_run_id())
    except HealthlakeError as error:
        return print_error(error)
    except CommitFailedException as error:
        print(
            f"error: another writer committed to the same table first ({error}); run the "
            "load again",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
