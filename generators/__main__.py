"""Command line of the generators.

python -m generators generate [PATIENTS] [SEED] [--config FILE] [--out DIR]
python -m generators validate [DIR]
python -m generators bench [SIZES...]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from common.cli import OneLineParser, path_argument, print_error
from common.defaults import DEFAULT_PATIENTS, DEFAULT_SEED
from generators.config import load_config, parse_count, parse_patients
from generators.exceptions import GeneratorError
from generators.output import RENDERINGS, continue_after, generate, remove_stale_staging

DEFAULT_OUT = Path("warehouse/generated")


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m generators", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="draw a seeded population and write FHIR + OMOP")
    gen.add_argument(
        "patients",
        nargs="?",
        default=None,
        help=f"how many people (default: config, else {DEFAULT_PATIENTS})",
    )
    gen.add_argument(
        "seed", nargs="?", default=None, help=f"random seed (default: config, else {DEFAULT_SEED})"
    )
    gen.add_argument("--out", type=path_argument, default=DEFAULT_OUT)
    gen.add_argument(
        "--after",
        type=path_argument,
        default=None,
        metavar="FOLDER",
        help="draw PATIENTS more people of the population generated in FOLDER (its next "
        "batches: same seed and world, ids after its ids), to load beside it",
    )
    gen.add_argument("--config", type=path_argument, default=None, help="a YAML file of settings")
    gen.add_argument(
        "--reference-date",
        default=None,
        help="the synthetic world's 'today' as YYYY-MM-DD (default 2025-01-01)",
    )
    gen.add_argument(
        "--only",
        default=None,
        help="write only these, comma-separated: a rendering (fhir, omop), FHIR resource types "
        "(Patient, ...) or OMOP tables (person, ...); Patient,person,observation_period,death "
        "alone skip drawing events",
    )
    check = commands.add_parser(
        "validate", help="report every FHIR <-> OMOP mismatch of a generated dataset"
    )
    check.add_argument("folder", nargs="?", type=path_argument, default=DEFAULT_OUT)
    bench = commands.add_parser("bench", help="time the renderings against a Faker baseline")
    bench.add_argument(
        "sizes", nargs="*", default=["10000", "100000", "1000000"], help="patient counts"
    )
    bench.add_argument("--work-dir", type=path_argument, default=Path("warehouse/bench"))
    return parser


def _reference_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise GeneratorError(
            f"--reference-date must be a date as YYYY-MM-DD, got {text!r}"
        ) from error


def _generate(args: argparse.Namespace) -> int:
    config = load_config(
        args.config,
        patients=None if args.patients is None else parse_patients(args.patients),
        seed=None if args.seed is None else parse_count("seed", args.seed, minimum=0),
        reference_date=_reference_date(args.reference_date),
    )
    stale = remove_stale_staging(args.out)
    if stale.folders:
        print(stale.describe(args.out.resolve().parent))
    start = None
    if args.after is not None:
        config, start = continue_after(
            args.after,
            config,
            args.out,
            seed_given=args.seed is not None,
            reference_date_given=args.reference_date is not None,
        )
    started = time.perf_counter()
    streams = RENDERINGS if args.only is None else [n.strip() for n in args.only.split(",")]
    manifest = generate(config, args.out, streams, start)
    elapsed = time.perf_counter() - started
    rows = sum(entry["rows"] for entry in manifest["files"])
    after = "" if args.after is None else f", after {manifest['first_patient']:,} in {args.after}"
    print(
        f"generated {manifest['patients']:,} patients (seed {config.seed}{after}) -> "
        f"{args.out}: {len(manifest['files'])} files, {rows:,} rows in {elapsed:.1f} s"
    )
    return 0


def _validate(args: argparse.Namespace) -> int:
    from generators.validate import validate  # DuckDB is only needed here

    results = validate(args.folder)
    width = max(len(result.name) for result in results)
    print(f"{'check':<{width}}  {'compared':>12}  {'mismatches':>10}")
    for result in results:
        print(f"{result.name:<{width}}  {result.compared:>12,}  {result.mismatches:>10,}")
    failed = [result for result in results if result.mismatches]
    if failed:
        total = sum(result.mismatches for result in failed)
        print(
            f"error: {total:,} FHIR <-> OMOP mismatches in {len(failed)} checks of "
            f"{args.folder}; the rows above with mismatches name them",
            file=sys.stderr,
        )
        return 1
    print(f"{args.folder}: FHIR and OMOP agree ({len(results)} checks, 0 mismatches)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from generators.bench import run_bench

    sizes = [parse_patients(size) for size in args.sizes]
    return run_bench(sizes, args.work_dir)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    commands = {"generate": _generate, "validate": _validate, "bench": _bench}
    try:
        return commands[args.command](args)
    except GeneratorError as error:
        return print_error(error)


if __name__ == "__main__":
    sys.exit(main())
