"""SQL on FHIR v2 ViewDefinitions: run one over FHIR input, or run the official test format.

    python -m views run VIEW_JSON INPUT [--engine duckdb|athena|trino]
                        [--format ndjson|csv|parquet] [--out FILE] [--sql]
    python -m views tests PATH [--engine duckdb|athena|trino]

`run` writes the view's rows (NDJSON on stdout by default: one JSON object per row). INPUT is an
NDJSON file, a JSON document or Bundle, or a folder of them, read as `ingest-fhir` reads them.
`--engine athena` compiles the Athena (Trino) SQL and runs it offline on DuckDB, as `just parity`
does; `--engine trino` runs that same Athena SQL on the local Trino (`just trino up`), over a
copy of the input in Trino's scratch memory catalog. `--sql` prints the compiled SQL of the
engine instead of rows.

`tests` runs every test file under PATH and prints one line per failing test, then
`N passed, M failed`; the exit status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from common.cli import OneLineParser, path_argument, print_error
from common.errors import HealthlakeError
from views import conformance, definition, runner
from views.compiler import compile_view
from views.engines import ENGINES

if TYPE_CHECKING:
    from views.trino_run import TrinoSession

# The engines a view runs on: each compiling engine (DuckDB's SQL, Athena's SQL run offline on
# DuckDB) and a real Trino running the Athena SQL.
RUN_ENGINES = (*ENGINES, "trino")


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m views", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    run = commands.add_parser("run", help="run one ViewDefinition over FHIR input")
    run.add_argument("view", type=path_argument, help="the ViewDefinition JSON file")
    run.add_argument(
        "input",
        nargs="?",
        help="an NDJSON file, a JSON document or Bundle, a folder of them, or `bronze` (the "
        "latest version of each resource in the Iceberg bronze namespace)",
    )
    run.add_argument("--catalog", default="local", help="with `bronze`: the Iceberg catalog")
    run.add_argument("--engine", choices=RUN_ENGINES, default="duckdb")
    run.add_argument("--format", choices=runner.FORMATS, default="ndjson", dest="output_format")
    run.add_argument("--out", type=path_argument, help="write here instead of stdout")
    run.add_argument("--sql", action="store_true", help="print the compiled SQL, not rows")
    tests = commands.add_parser("tests", help="run SQL on FHIR test files (the official format)")
    tests.add_argument("path", type=path_argument, help="a test file or a folder of them")
    tests.add_argument("--engine", choices=RUN_ENGINES, default="duckdb")
    return parser


def _run(args: argparse.Namespace) -> int:
    view = definition.load(args.view)
    engine = args.engine
    if args.sql:
        compiled = compile_view(view, "athena" if engine == "trino" else engine)
        for warning in compiled.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(compiled.sql())
        return 0
    if args.input is None:
        raise runner.ViewInputError(
            "name the FHIR input to run the view over (a file or "
            "folder), or pass --sql to print the SQL"
        )
    out = args.out
    if out is not None and out.is_dir():
        raise runner.ViewInputError(f"--out {out} is a folder; name a file")
    if engine == "trino" and args.output_format == "parquet":
        raise runner.ViewInputError(runner.PARQUET_NEEDS_DUCKDB)
    con = duckdb.connect()
    if args.input == "bronze":  # a folder named bronze is `./bronze`
        runner.load_bronze(con, view.resource, args.catalog)
    elif not args.input.strip():
        raise runner.ViewInputError("the input is an empty path; name a file or folder")
    else:
        loaded = runner.load_resources(con, [Path(args.input)])
        if loaded.not_resources:
            print(
                f"warning: {loaded.not_resources:,} input records are not FHIR resources and "
                f"were not read (first: {loaded.first_problem}); `just ingest-fhir` "
                "quarantines them",
                file=sys.stderr,
            )
    if engine == "trino":
        from views.trino_run import TrinoSession

        with TrinoSession.local() as trino:
            trino.copy_resources(con)
            compiled, rows_fetched = trino.run(view)
        result: duckdb.DuckDBPyRelation | list[dict[str, Any]] = rows_fetched
    else:
        compiled, relation = runner.run(con, view, engine)
        result = relation
    rows = runner.write(compiled, result, args.output_format, out, sys.stdout.buffer)
    # After the rows: a failing run prints its one error line and nothing else.
    for warning in compiled.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if out is not None:
        print(f"wrote {rows:,} rows of view {view.name} to {out}", file=sys.stderr)
    return 0


def _tests(path: Path, engine: str) -> int:
    if not path.exists():
        raise runner.ViewInputError(f"{path}: no such file or folder")
    files = conformance.test_files(path)
    if not files:
        raise runner.ViewInputError(f"{path}: no test files (*.json) found")
    if engine == "trino":
        from views.trino_run import TrinoSession

        with TrinoSession.local() as trino:
            return _report(path, files, engine, trino)
    return _report(path, files, engine, None)


def _report(path: Path, files: list[Path], engine: str, trino: TrinoSession | None) -> int:
    passed = failed = 0
    for test_file in files:
        for outcome in conformance.run_file(test_file, engine, trino):
            if outcome.problem is None:
                passed += 1
                continue
            failed += 1
            shown = test_file.relative_to(path) if path.is_dir() else test_file
            print(f"{shown}: {outcome.title}: {outcome.problem}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        return _tests(args.path, args.engine)
    except HealthlakeError as error:
        return print_error(error)
    except BrokenPipeError:  # `... | head`: the reader has what it wanted
        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - quiets the flush at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
