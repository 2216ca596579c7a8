"""Command line: `python -m generators generate [PATIENTS] [SEED] --out DIR`."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from generators.config import DEFAULT_REFERENCE_DATE, GeneratorConfig, parse_count
from generators.exceptions import GeneratorError
from generators.output import generate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generators", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="draw a seeded population and write FHIR + OMOP")
    gen.add_argument("patients", nargs="?", default="10000", help="how many people (default 10000)")
    gen.add_argument("seed", nargs="?", default="42", help="random seed (default 42)")
    gen.add_argument("--out", type=Path, default=Path("warehouse/generated"))
    gen.add_argument(
        "--reference-date",
        default=None,
        help="the synthetic world's 'today' as YYYY-MM-DD (default 2025-01-01)",
    )
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


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        config = GeneratorConfig(
            patients=parse_count("patient count", args.patients),
            seed=parse_count("seed", args.seed, minimum=0),
            reference_date=_reference_date(args.reference_date) or DEFAULT_REFERENCE_DATE,
        )
        started = time.perf_counter()
        manifest = generate(config, args.out)
    except GeneratorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    rows = sum(entry["rows"] for entry in manifest["files"])
    print(
        f"generated {config.patients:,} patients (seed {config.seed}) -> {args.out}: "
        f"{len(manifest['files'])} files, {rows:,} rows in {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
