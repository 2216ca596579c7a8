"""`just bench`: time the OMOP and FHIR renderings and a per-row Faker baseline.

Beside the full renderings (whole clinical histories, set against Faker's person rows by
patients/s and by rows/s), it prints a like-for-like line: the same person rows, one FHIR
Patient line per person written as NDJSON (from the people-only draw, `draw_people`), against
the Faker rows written as NDJSON.

Each measurement runs in a fresh child process so its peak RSS (`ru_maxrss`) is its own
(`python -m generators.bench generate|persons|faker ...`, run by `run_bench`, not by people). The
figures are wall-clock and depend on the machine and on whatever else runs on it: they are
printed for people (docs/performance.md), never asserted by tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common.cli import OneLineParser, path_argument
from generators.config import load_config
from generators.output import generate

# The Faker baseline builds person rows one dict at a time (the common hand-rolled approach);
# above this many patients its rate is measured at this size and the time extrapolated.
FAKER_MAX_PATIENTS = 100_000
# Both sides of the like-for-like comparison first make this many rows untimed, so one-time
# library set-up (Arrow compute kernels, Faker's providers) is not counted against either.
WARM_UP_ROWS = 1_000


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_generate(rendering: str, patients: int, out: Path) -> dict[str, Any]:
    config = load_config(None, patients=patients)
    started = time.perf_counter()
    manifest = generate(config, out, (rendering,))
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "rows": sum(entry["rows"] for entry in manifest["files"]),
        "bytes": sum((out / entry["path"]).stat().st_size for entry in manifest["files"]),
        "rss_mb": _peak_rss_mb(),
    }


def _child_persons(patients: int, out: Path) -> dict[str, Any]:
    """Our side of the like-for-like comparison: one person row per patient, as NDJSON.

    `generate --only Patient`: the people alone are drawn (`draw_people`: demographics, chronic
    conditions, death and observation period, the same people a full dataset has, without their
    events) and their FHIR Patient lines written with the SHA-256 and the manifest, exactly as
    in a full dataset. Each line is a superset of the Faker row (race and ethnicity extensions,
    identifier, telecom, deceasedDateTime too).
    """
    generate(load_config(None, patients=WARM_UP_ROWS), out, ("Patient",))
    config = load_config(None, patients=patients)
    started = time.perf_counter()
    manifest = generate(config, out, ("Patient",))
    wall = time.perf_counter() - started
    return {"wall": wall, "rows": manifest["files"][0]["rows"], "rss_mb": _peak_rss_mb()}


def _child_faker(patients: int, out: Path | None = None) -> dict[str, Any]:
    """The per-row baseline: person rows built one dict at a time with Faker calls.

    With `out`, the rows are also written as NDJSON (one json.dumps per row, with SHA-256), the
    same output format as `_child_persons`; the time of building the dicts alone is `wall`.
    """
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(42)
    _faker_rows(fake, WARM_UP_ROWS)
    started = time.perf_counter()
    rows = _faker_rows(fake, patients)
    wall = time.perf_counter() - started
    measured: dict[str, Any] = {"wall": wall, "rows": len(rows), "rss_mb": _peak_rss_mb()}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with (out / "persons.ndjson").open("wb") as handle:
            for row in rows:
                line = (json.dumps(row, separators=(",", ":")) + "\n").encode()
                handle.write(line)
                digest.update(line)
        measured["wall_ndjson"] = time.perf_counter() - started
    return measured


def _faker_rows(fake: Any, patients: int) -> list[dict[str, Any]]:
    rows = []
    for person_id in range(1, patients + 1):
        sex = fake.random_element(("male", "female"))
        rows.append(
            {
                "person_id": person_id,
                "patient_uuid": fake.uuid4(),
                "gender": sex,
                "given_name": fake.first_name_male() if sex == "male" else fake.first_name_female(),
                "family_name": fake.last_name(),
                "birth_date": fake.date_of_birth(maximum_age=100).isoformat(),
                "race": fake.random_element(("2106-3", "2054-5", "2028-9", "2131-1")),
                "city": fake.city(),
                "state": fake.state_abbr(),
                "postal_code": fake.zipcode(),
            }
        )
    return rows


def _run_child(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "generators.bench", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark step {args} failed: {result.stderr.strip()}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def _measure_into(out: Path, *args: str) -> dict[str, Any]:
    """Run one benchmark step writing into `out`, then delete `out` (each size fits the disk)."""
    try:
        return _run_child(*args, str(out))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run_bench(sizes: list[int], work_dir: Path) -> int:
    """Measure every size and print one table; return the exit code."""
    print(
        f"{'patients':>10} {'rendering':<18} {'wall s':>8} {'patients/s':>11} "
        f"{'rows/s':>11} {'peak RSS MB':>11} {'output MB':>10} {'vs Faker':>9}"
    )
    for patients in sizes:
        faker_size = min(patients, FAKER_MAX_PATIENTS)
        faker = _measure_into(work_dir / f"faker-{faker_size}", "faker", str(faker_size))
        faker_rate = faker_size / faker["wall"]
        faker_ndjson_rate = faker_size / faker["wall_ndjson"]
        faker_wall = patients / faker_rate
        note = "" if faker_size == patients else f" (rate at {faker_size:,}, extrapolated)"
        for rendering in ("omop", "fhir"):
            measured = _measure_into(
                work_dir / f"{rendering}-{patients}", "generate", rendering, str(patients)
            )
            rate = patients / measured["wall"]
            row_ratio = measured["rows"] / measured["wall"] / faker_rate
            print(
                f"{patients:>10,} {rendering.upper():<18} {measured['wall']:>8.1f} "
                f"{rate:>11,.0f} {measured['rows'] / measured['wall']:>11,.0f} "
                f"{measured['rss_mb']:>11,.0f} {measured['bytes'] / 1e6:>10,.0f} "
                f"{rate / faker_rate:>8.1f}x  ({row_ratio:,.0f}x by rows/s)"
            )
        print(
            f"{patients:>10,} {'Faker per-row':<18} {faker_wall:>8.1f} {faker_rate:>11,.0f} "
            f"{faker_rate:>11,.0f} {faker['rss_mb']:>11,.0f} {'-':>10} {'1.0x':>9}{note}"
        )
        # Like for like: the same person rows, written in the same format (NDJSON).
        persons = _measure_into(work_dir / f"persons-{patients}", "persons", str(patients))
        persons_rate = patients / persons["wall"]
        print(
            f"{patients:>10,} {'person rows NDJSON':<18} {persons['wall']:>8.1f} "
            f"{persons_rate:>11,.0f} {persons_rate:>11,.0f} {persons['rss_mb']:>11,.0f} "
            f"{'-':>10} {persons_rate / faker_ndjson_rate:>8.1f}x  (vs Faker rows + NDJSON "
            f"{faker_ndjson_rate:,.0f}/s; {persons_rate / faker_rate:,.1f}x vs its dicts alone)"
        )
        sys.stdout.flush()
    shutil.rmtree(work_dir, ignore_errors=True)
    return 0


def _child_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m generators.bench",
        description="One measurement of `just bench`, printed as JSON (run by `run_bench`).",
    )
    children = parser.add_subparsers(dest="measurement", required=True)
    rendering = children.add_parser("generate", help="one rendering of a whole population")
    rendering.add_argument("rendering", choices=("omop", "fhir"))
    persons = children.add_parser("persons", help="one FHIR Patient line per person, as NDJSON")
    faker = children.add_parser("faker", help="the per-row Faker baseline")
    for child in (rendering, persons, faker):
        child.add_argument("patients", type=int)
        child.add_argument("out", type=path_argument)
    return parser


def _child_main(argv: list[str] | None = None) -> None:
    args = _child_parser().parse_args(argv)
    if args.measurement == "generate":
        measured = _child_generate(args.rendering, args.patients, args.out)
    elif args.measurement == "persons":
        measured = _child_persons(args.patients, args.out)
    else:
        measured = _child_faker(args.patients, args.out)
    print(json.dumps(measured))


if __name__ == "__main__":
    _child_main()
