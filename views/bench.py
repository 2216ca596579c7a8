"""`just bench-views [sizes]`: compiled ViewDefinitions against the hand-written FHIR staging.

    python -m views.bench [sizes ...] [--work-dir DIR] [--keep]

For each size (default 100000 1000000 patients), on the same machine in the same run:
1. generate the population's Patient and Observation NDJSON (`generators --only`);
2. load them into a DuckDB file as the bronze tables the models read (one version each);
3. compile, with dbt (`--target lint`), the staging models `stg_fhir__patients` and
   `stg_fhir__observations` and the views `views/bench/*_staged.json` dropped into a copy of the
   project: each view reads the same FHIR fields its staging model reads, through the same
   latest-version step, so the two differ only in how the JSON becomes columns;
4. time `CREATE TABLE AS` of each, twice, alternating which goes first; the better of the two.

It prints one line per pair: rows, seconds for each, and the view's time as a share of the
staging model's. Results, with the machine and its load, go in docs/performance.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from common.cli import OneLineParser, print_error
from common.defaults import DEFAULT_SEED
from common.errors import HealthlakeError
from common.paths import DBT_PROJECT_DIR, PROFILES_DIR, REPO_ROOT
from views.exceptions import ViewError

BENCH_VIEWS = Path(__file__).with_name("bench")
# (resource type, bronze table, hand-written staging model, the view standing in for it)
PAIRS = (
    ("Patient", "fhir_patient", "stg_fhir__patients", "stg_fhir_view__patients_staged"),
    (
        "Observation",
        "fhir_observation",
        "stg_fhir__observations",
        "stg_fhir_view__observations_staged",
    ),
)


def _run(args: list[str], env: dict[str, str] | None = None, cwd: Path = REPO_ROOT) -> None:
    result = subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        text=True,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ViewError(f"{' '.join(args[:4])}: failed: {detail[-1] if detail else '?'}")


def _load_bronze(con: duckdb.DuckDBPyConnection, fhir: Path) -> None:
    con.execute("create schema if not exists bronze")
    for resource_type, table, _, _ in PAIRS:
        path = fhir / f"{resource_type}.ndjson"
        # Bronze's columns (iceberg/tables.py), one version per resource.
        con.execute(
            f"""
            create or replace table bronze.{table} as
            select
                ? as resource_type,
                json ->> '$.id' as resource_id,
                json ->> '$.meta.lastUpdated' as last_updated,
                json ->> '$.subject.reference' as patient_reference,
                cast(json as varchar) as resource_json,
                ? as source_file,
                row_number() over () as source_line,
                'bench' as pipeline_run_id,
                cast(now() as timestamp) as loaded_at
            from read_json_objects(?, format = 'newline_delimited')
            """,
            [resource_type, str(path), str(path)],
        )


def _compiled_sql(work: Path) -> dict[str, str]:
    """The SQL dbt compiles for the staging models and the bench views, by model name."""
    project = work / "dbt_project"
    if project.exists():
        shutil.rmtree(project)
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    for view in BENCH_VIEWS.glob("*.json"):
        shutil.copy(view, project / "fhir_views" / view.name)
    _run([sys.executable, "-m", "views.dbt_models", "--project-dir", str(project)])
    target = work / "target"
    models = [name for pair in PAIRS for name in pair[2:]]
    _run(
        [
            "dbt",
            "compile",
            "--target",
            "lint",
            "--profiles-dir",
            str(PROFILES_DIR),
            "--project-dir",
            str(project),
            "--select",
            *models,
        ],
        env={"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(work / "logs")},
        cwd=project,
    )
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    compiled = {}
    for name in models:
        tree = sqlglot.parse_one(nodes[f"model.healthlake.{name}"]["compiled_code"], read="duckdb")
        for table in tree.find_all(exp.Table):
            table.set("catalog", None)  # the lint target's in-memory catalog
        compiled[name] = tree.sql(dialect="duckdb")
    return compiled


def _timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, int]:
    started = time.perf_counter()
    con.execute(f"create or replace table bench_output as {sql}")
    seconds = time.perf_counter() - started
    rows = con.execute("select count(*) from bench_output").fetchall()[0][0]
    return seconds, int(rows)


def bench(size: int, work: Path) -> list[str]:
    """The result lines for one size."""
    work.mkdir(parents=True, exist_ok=True)
    generated = work / "generated"
    started = time.perf_counter()
    _run(
        [
            sys.executable,
            "-m",
            "generators",
            "generate",
            str(size),
            str(DEFAULT_SEED),
            "--out",
            str(generated),
            "--only",
            "Patient,Observation",
        ]
    )
    generate_s = time.perf_counter() - started
    database = work / "bench.duckdb"
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    started = time.perf_counter()
    _load_bronze(con, generated / "fhir")
    load_s = time.perf_counter() - started
    compiled = _compiled_sql(work)
    lines = [f"{size:,} patients: generated in {generate_s:.0f} s, loaded in {load_s:.0f} s"]
    for resource_type, _, staging, view in PAIRS:
        times: dict[str, list[float]] = {staging: [], view: []}
        rows: dict[str, int] = {}
        for order in ((staging, view), (view, staging)):
            for name in order:
                seconds, rows[name] = _timed(con, compiled[name])
                times[name].append(seconds)
        if rows[staging] != rows[view]:
            raise ViewError(f"{view} gave {rows[view]:,} rows, {staging} {rows[staging]:,}")
        best_staging, best_view = min(times[staging]), min(times[view])
        lines.append(
            f"  {resource_type:<12} {rows[view]:>12,} rows   staging {best_staging:7.2f} s   "
            f"view {best_view:7.2f} s   view/staging {best_view / best_staging:5.2f}"
        )
    con.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m views.bench", description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / "warehouse" / "bench-views")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    if any(size < 1 for size in args.sizes):
        parser.error("sizes are patient counts of at least 1")
    try:
        print(
            f"bench-views on {os.cpu_count()} cores; load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
            flush=True,
        )
        for size in args.sizes:
            for line in bench(size, args.work_dir / str(size)):
                print(line, flush=True)
    except HealthlakeError as error:
        return print_error(error)
    finally:
        if not args.keep and args.work_dir.exists():
            shutil.rmtree(args.work_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
