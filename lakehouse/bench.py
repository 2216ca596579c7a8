"""`just bench-bronze`: seconds and peak memory of loading bronze and mirroring it into DuckDB.

For each size N it writes N synthetic FHIR Patient resources as Bulk Data NDJSON (shaped like
real exports: identifiers, names, an address, an extension, meta.lastUpdated), then times, each
in a fresh process so its peak RSS is its own:
- ingest: `load_fhir` of the NDJSON into a fresh local catalog;
- mirror, full: the dbt plugin's step, copying bronze into an empty DuckDB file;
- mirror, no change: the same again with no new snapshot (what a re-run of `dbt build` pays);
- ingest, unchanged: the same file again under a new run (skipped by content hash).

Then the many-files case, shaped like a Synthea export (one Bundle file per patient, each with a
Patient, an Encounter, an Observation and a Condition): loading the folder, then loading it again
(every file skipped). For every step it also reports the largest current metadata.json of the
bronze tables, which must not grow with the number of files loaded (the ledger of loaded files
is a Parquet file beside it, not a table property).

python -m lakehouse.bench 10000 1000000 [--bundle-files 10000]   # --bundle-files 0 skips it
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from common.cli import OneLineParser, path_argument, print_error
from common.errors import HealthlakeError
from generators.config import parse_count, parse_patients
from iceberg.catalog import BRONZE, load_catalog

STEPS = ("ingest", "mirror-full", "mirror-no-change", "ingest-unchanged")
BUNDLE_STEPS = ("ingest-bundles", "ingest-bundles-unchanged")
DEFAULT_BUNDLE_FILES = 10_000


def write_patients(path: Path, count: int) -> None:
    """`count` Patient resources, one per line, deterministic."""
    states = ("MA", "NJ", "CA", "TX", "WA")
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            patient = {
                "resourceType": "Patient",
                "id": f"p{n:08d}",
                "meta": {"lastUpdated": "2025-01-01T00:00:00Z"},
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                        "valueCode": "F" if n % 2 else "M",
                    }
                ],
                "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.1", "value": f"{n:09d}"}],
                "name": [{"family": f"Family{n % 997}", "given": [f"Given{n % 331}"]}],
                "gender": "female" if n % 2 else "male",
                "birthDate": f"{1930 + n % 90}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "address": [{"city": f"City{n % 101}", "state": states[n % 5]}],
            }
            out.write(json.dumps(patient, separators=(",", ":")) + "\n")


def write_bundles(folder: Path, count: int) -> None:
    """`count` one-patient transaction Bundles, one file each, as Synthea writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        patient = f"p{n:08d}"
        subject = {"reference": f"urn:uuid:{patient}"}
        entries = [
            {
                "fullUrl": f"urn:uuid:{patient}",
                "resource": {"resourceType": "Patient", "id": patient},
            },
            {"resource": {"resourceType": "Encounter", "id": f"e{n:08d}", "subject": subject}},
            {"resource": {"resourceType": "Observation", "id": f"o{n:08d}", "subject": subject}},
            {"resource": {"resourceType": "Condition", "id": f"c{n:08d}", "subject": subject}},
        ]
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        (folder / f"{patient}.json").write_text(json.dumps(bundle, separators=(",", ":")))


def run_step(step: str, folder: Path) -> dict[str, float]:
    """One step in this process; returns seconds, peak RSS (MiB), rows and metadata bytes."""
    started = time.perf_counter()
    rows = 0
    if step.startswith("ingest"):
        from iceberg.loaders import load_fhir

        catalog = load_catalog("local", create=True)
        source = folder / ("bundles" if step.startswith("ingest-bundles") else "Patient.ndjson")
        report = load_fhir(catalog, [source], f"bench-{step}")
        rows = sum(table.rows for table in report.tables)
    else:
        from lakehouse.duckdb_mirror import mirror_namespace

        with duckdb.connect(str(folder / "lakehouse.duckdb")) as conn:
            mirrored = mirror_namespace(load_catalog("local"), conn)
            rows = sum(m.rows for m in mirrored if m.changed)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak_mib),
        "rows": rows,
        "metadata_bytes": _largest_metadata_bytes(),
    }


def _largest_metadata_bytes() -> int:
    """The size of the largest current metadata.json among the bronze tables."""
    catalog = load_catalog("local")
    sizes = [0]
    for identifier in catalog.list_tables(BRONZE):
        table = catalog.load_table(identifier)
        with table.io.new_input(table.metadata_location).open() as stream:
            sizes.append(len(stream.read()))
    return max(sizes)


def bench(count: int) -> list[tuple[str, dict[str, float]]]:
    """Every step at one size, each in a fresh interpreter, in a scratch warehouse."""
    with tempfile.TemporaryDirectory(prefix="healthlake-bench-") as scratch:
        folder = Path(scratch)
        write_patients(folder / "Patient.ndjson", count)
        return [(step, _run_in_subprocess(step, folder)) for step in STEPS]


def bench_bundles(count: int) -> list[tuple[str, dict[str, float]]]:
    """The many-files case: `count` one-patient Bundle files loaded, then loaded again."""
    with tempfile.TemporaryDirectory(prefix="healthlake-bench-") as scratch:
        folder = Path(scratch)
        write_bundles(folder / "bundles", count)
        return [(step, _run_in_subprocess(step, folder)) for step in BUNDLE_STEPS]


def _run_in_subprocess(step: str, folder: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "lakehouse.bench", "--step", step, str(folder)],
        env={**os.environ, "HEALTHLAKE_WAREHOUSE": str(folder)},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m lakehouse.bench", description=__doc__)
    parser.add_argument(
        "sizes",
        nargs="*",
        default=["10000", "1000000"],
        help="patient counts (default: 10000 1000000)",
    )
    parser.add_argument(
        "--bundle-files",
        default=str(DEFAULT_BUNDLE_FILES),
        help="one-patient Bundle files for the many-files case; 0 skips it (default: %(default)s)",
    )
    # One step in this process, for the parent that times it: not for people.
    parser.add_argument(
        "--step", nargs=2, metavar=("STEP", "FOLDER"), default=None, help=argparse.SUPPRESS
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for the sizes given (default 10,000 and 1,000,000 patients)."""
    args = _parser().parse_args(argv)
    if args.step is not None:
        step, folder = args.step
        print(json.dumps(run_step(step, path_argument(folder))))
        return 0
    try:
        # Checked before any slow step, so a typo is a one-line error, not a traceback minutes in.
        bundle_files = parse_count("--bundle-files", args.bundle_files, minimum=0)
        sizes = [parse_patients(size) for size in args.sizes]
    except HealthlakeError as error:
        return print_error(error)
    # Seconds on a shared machine depend on what else runs: the load average goes with them.
    print(f"load average {_load_average()}")
    print(
        f"{'patients':>10}  {'step':<24}  {'seconds':>8}  {'peak RSS MiB':>12}  {'rows':>10}  "
        f"{'metadata.json B':>15}"
    )
    runs = [(count, bench) for count in sizes]
    if bundle_files:
        runs.append((bundle_files, bench_bundles))
    for count, run in runs:
        for step, result in run(count):
            print(
                f"{count:>10,}  {step:<24}  {result['seconds']:>8.2f}  "
                f"{result['peak_rss_mib']:>12,.0f}  {int(result['rows']):>10,}  "
                f"{int(result['metadata_bytes']):>15,}",
                flush=True,
            )
        print(f"load average {_load_average()}", flush=True)
    return 0


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
