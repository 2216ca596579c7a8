"""Athena parity, proven as far as it can be without AWS: `just parity`.

For every dbt model it checks, and prints as one table:
1. compile: the model compiles for `--target athena` (dbt-athena against a moto server on
   127.0.0.1 standing in for Glue, S3 and STS);
2. parse: the compiled Athena SQL parses with sqlglot's Athena (Trino) dialect, which catches
   `::` casts, DuckDB-only functions and unquoted reserved words (every compiled data test is
   parsed too);
3. equal: the Athena SQL, transpiled to DuckDB by sqlglot and run on the same inputs as the
   native DuckDB build, returns the same rows (order-insensitive; floats compared to 1e-6;
   columns that record when or by which invocation a row was built are left out).

4. roles: every role of contracts/policies.yml is published from that build, and its masked,
   filtered rows on DuckDB equal what the role's Athena SQL returns, with only the columns its
   policy shows (contracts/parity.py).

Models where sqlglot's own transpiler is wrong are listed in scripts/parity_known_gaps.yml with
the reason and reported as such, never hidden. Exit status 1 on any other failure.

`--engine trino` runs the models on a real Trino instead (scripts/parity_trino.py): slower, and
it proves what sqlglot cannot, Trino's own semantics. Athena itself never runs here:
docs/parity.md says what each check does and does not prove.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
import yaml

from common.cli import OneLineParser, path_argument, print_error
from common.errors import HealthlakeError
from common.paths import DBT_PROJECT_DIR, PROFILES_DIR, REPO_ROOT
from common.ports import free_port
from contracts.model import contract_paths, load
from contracts.parity import RoleTableParity, role_parity
from contracts.parity import report as role_report
from contracts.policies import load_policies
from contracts.publish import publish
from lakehouse.athena_offline import athena_to_duckdb

KNOWN_GAPS_FILE = Path(__file__).with_name("parity_known_gaps.yml")
# Hand-written exports with the shapes real FHIR has; synthea_like names its practitioners and
# organizations by conditional reference, so reference resolution has rows to compare.
FIXTURE_FHIR = [
    REPO_ROOT / "tests" / "fixtures" / "fhir" / "export_like",
    REPO_ROOT / "tests" / "fixtures" / "fhir" / "synthea_like",
]
# Columns that say when, by which dbt invocation or on which engine a row was built: they
# differ between any two builds by design, so they are left out of the comparison.
VOLATILE_COLUMNS = {
    "transformed_at",
    "dbt_invocation_id",
    "target_name",
    # cdm_source: "run <pipeline run id>, dbt invocation <id>"
    "cdm_etl_reference",
}
FLOAT_DIGITS = 6


class ParityError(HealthlakeError):
    """The check could not be made (a build failed, a setting is missing); exits 1."""

    exit_code = 1


@dataclass
class ModelParity:
    """The parity verdict for one model."""

    name: str
    relation: str
    compiled: bool = False
    parsed: bool = False
    athena_rows: int | None = None
    duckdb_rows: int | None = None
    equal: bool | None = None
    note: str = ""
    known_gap: str | None = None

    @property
    def passed(self) -> bool:
        if self.known_gap is not None:
            return self.compiled and self.parsed
        return self.compiled and self.parsed and bool(self.equal)


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server (S3, Glue, STS, Athena) on 127.0.0.1, stopped on exit."""
    from moto.server import ThreadedMotoServer

    # moto's web server logs every request; the parity table is what the user wants to read.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _run(args: list[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> None:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise ParityError(f"{' '.join(args)} failed (exit {result.returncode}); see above")


def build_native(workdir: Path, patients: int) -> tuple[Path, dict[str, str]]:
    """Build the DuckDB lakehouse on the parity inputs: a generated population plus small
    real-world-shaped FHIR exports (so every model has rows)."""
    warehouse = workdir / "warehouse"
    env = {
        **os.environ,
        "HEALTHLAKE_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(workdir / "duckdb_target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "PIPELINE_RUN_ID": "parity",
        "DBT_PROFILES_DIR": str(PROFILES_DIR),
    }
    python = sys.executable
    generated = warehouse / "generated"
    _run([python, "-m", "generators", "generate", str(patients), "7", "--out", str(generated)], env)
    _run([python, "-m", "iceberg", "load", "--from", str(generated)], env)
    _run([python, "-m", "iceberg", "ingest-fhir", *map(str, FIXTURE_FHIR)], env)
    _run(["dbt", "build", "--target", "duckdb", "--quiet"], env, cwd=DBT_PROJECT_DIR)
    return warehouse / "lakehouse.duckdb", env


def register_bronze_in_glue(lakehouse: Path, env: dict[str, str]) -> None:
    """Register in moto's Glue the bronze tables the DuckDB build read, so models that list
    bronze when they run (`stg_fhir__resource_types`) see the same tables on Athena. Only the
    names and types matter to dbt-athena's listing; the data stays in DuckDB."""
    import boto3

    with duckdb.connect(str(lakehouse), read_only=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'bronze' order by 1"
            ).fetchall()
        ]
    glue = boto3.client(
        "glue",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    )
    glue.create_database(DatabaseInput={"Name": "bronze"})
    for name in names:
        glue.create_table(
            DatabaseName="bronze",
            TableInput={
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"table_type": "ICEBERG"},
            },
        )


def compile_athena(workdir: Path, endpoint: str, lakehouse: Path) -> dict[str, Any]:
    """`dbt compile --target athena` against the moto endpoint, with the DuckDB build's bronze
    tables registered in its Glue; returns the manifest."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "parity",
        "AWS_SECRET_ACCESS_KEY": "parity",
        "AWS_SESSION_TOKEN": "parity",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HEALTHLAKE_ATHENA_S3_STAGING_DIR": "s3://healthlake-parity-results/athena/",
        "HEALTHLAKE_ATHENA_S3_DATA_DIR": "s3://healthlake-parity-lake/dbt/",
        "DBT_TARGET_PATH": str(workdir / "athena_target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "PIPELINE_RUN_ID": "parity",
        "DBT_PROFILES_DIR": str(PROFILES_DIR),
    }
    register_bronze_in_glue(lakehouse, env)
    _run(["dbt", "compile", "--target", "athena", "--quiet"], env, cwd=DBT_PROJECT_DIR)
    manifest: dict[str, Any] = json.loads(
        (workdir / "athena_target" / "manifest.json").read_text(encoding="utf-8")
    )
    return manifest


def _columns(conn: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    rows = conn.execute(f"describe {relation}").fetchall()
    return [(str(row[0]), str(row[1])) for row in rows]


def _normalized(column: str, column_type: str) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    if column_type in {"DOUBLE", "FLOAT", "REAL"} or column_type.startswith("DECIMAL"):
        return f"round(cast({quoted} as double), {FLOAT_DIGITS}) as {quoted}"
    return quoted


def compare(
    conn: duckdb.DuckDBPyConnection, relation: str, transpiled: str
) -> tuple[int, int, int]:
    """(rows from the transpiled Athena SQL, rows in the native table, rows in one but not the
    other, as a multiset), on the columns both builds are expected to agree on."""
    columns = [
        (name, kind) for name, kind in _columns(conn, relation) if name not in VOLATILE_COLUMNS
    ]
    select = ", ".join(_normalized(name, kind) for name, kind in columns)
    athena_rows = conn.execute(f"select count(*) from ({transpiled}) as athena").fetchall()[0][0]
    native_rows = conn.execute(f"select count(*) from {relation}").fetchall()[0][0]
    differing = conn.execute(
        f"""
        with
        athena as (select {select} from ({transpiled}) as transpiled),
        native as (select {select} from {relation})
        select count(*) from (
            (select * from athena except all select * from native)
            union all
            (select * from native except all select * from athena)
        ) as differences
        """
    ).fetchall()[0][0]
    return athena_rows, native_rows, differing


def known_gaps() -> dict[str, str]:
    """Models whose Athena SQL sqlglot cannot transpile faithfully, with the reason."""
    if not KNOWN_GAPS_FILE.exists():
        return {}
    entries = yaml.safe_load(KNOWN_GAPS_FILE.read_text(encoding="utf-8")) or {}
    return {str(name): str(reason) for name, reason in entries.items()}


def check(lakehouse: Path, manifest: dict[str, Any]) -> tuple[list[ModelParity], list[str]]:
    """The per-model verdicts, and the data tests whose Athena SQL does not parse."""
    gaps = known_gaps()
    verdicts = []
    unparsed_tests = []
    with duckdb.connect(str(lakehouse), read_only=True) as conn:
        for node in sorted(manifest["nodes"].values(), key=lambda n: n["unique_id"]):
            if node["package_name"] != "healthlake":
                continue
            sql = node.get("compiled_code")
            if node["resource_type"] == "test":
                try:
                    sqlglot.parse(sql or "", read="athena", error_level=sqlglot.ErrorLevel.RAISE)
                except sqlglot.errors.SqlglotError as error:
                    unparsed_tests.append(f"{node['name']}: {str(error).splitlines()[0]}")
                continue
            if node["resource_type"] != "model":
                continue
            if node["config"]["materialized"] == "ephemeral":
                continue  # no relation of its own: compared inside the models that read it
            relation = f'"{node["schema"]}"."{node["alias"]}"'
            verdict = ModelParity(node["name"], f"{node['schema']}.{node['alias']}")
            verdict.known_gap = gaps.get(node["name"])
            verdicts.append(verdict)
            if not sql:
                verdict.note = "did not compile for athena"
                continue
            verdict.compiled = True
            try:
                sqlglot.parse(sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
                verdict.parsed = True
                transpiled = athena_to_duckdb(sql)
                athena_rows, duckdb_rows, differing = compare(conn, relation, transpiled)
            except sqlglot.errors.SqlglotError as error:
                verdict.note = f"sqlglot: {str(error).splitlines()[0][:120]}"
                continue
            except duckdb.Error as error:
                verdict.note = f"transpiled SQL fails on DuckDB: {str(error).splitlines()[0][:120]}"
                continue
            verdict.athena_rows, verdict.duckdb_rows = athena_rows, duckdb_rows
            verdict.equal = differing == 0
            if differing:
                verdict.note = f"{differing} rows differ"
    return verdicts, unparsed_tests


def check_roles(lakehouse: Path, published_dir: Path) -> list[RoleTableParity]:
    """Publish every role from the lakehouse into `published_dir`; compare each with its role's
    Athena SQL run offline."""
    policies = load_policies()
    contracts = [load(path) for path in contract_paths()]
    published = publish([], source_path=lakehouse, out_dir=published_dir)
    return role_parity(policies, contracts, lakehouse, published)


def _mark(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[value]


def report(verdicts: list[ModelParity], unparsed_tests: list[str], tests_parsed: int) -> str:
    """The per-model table and the totals."""
    width = max(len(v.relation) for v in verdicts)
    lines = [
        f"{'model':<{width}}  compiles  parses  athena rows  duckdb rows  equal  note",
        "-" * (width + 60),
    ]
    for v in verdicts:
        note = f"known gap: {v.known_gap}" if v.known_gap and not v.equal else v.note
        lines.append(
            f"{v.relation:<{width}}  {_mark(v.compiled):>8}  {_mark(v.parsed):>6}  "
            f"{'-' if v.athena_rows is None else v.athena_rows:>11}  "
            f"{'-' if v.duckdb_rows is None else v.duckdb_rows:>11}  {_mark(v.equal):>5}  {note}"
        )
    equal = sum(1 for v in verdicts if v.equal)
    lines.append("-" * (width + 60))
    lines.append(
        f"{len(verdicts)} models: {sum(v.compiled for v in verdicts)} compile, "
        f"{sum(v.parsed for v in verdicts)} parse, {equal} equal to DuckDB "
        f"({100 * equal // max(len(verdicts), 1)}%), "
        f"{sum(1 for v in verdicts if v.known_gap and not v.equal)} known gaps"
    )
    lines.append(f"{tests_parsed} data tests: {tests_parsed - len(unparsed_tests)} parse")
    lines += [f"  test does not parse: {line}" for line in unparsed_tests]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the parity check; return the exit status."""
    parser = OneLineParser(prog="just parity", description=__doc__)
    parser.add_argument("--patients", type=int, default=300, help="generated population size")
    parser.add_argument("--workdir", type=path_argument, default=None, help="keep the builds here")
    parser.add_argument(
        "--engine",
        choices=("sqlglot", "trino"),
        default="sqlglot",
        help="sqlglot: Athena's SQL translated to DuckDB (fast, the default); trino: run on a "
        "real Trino (docs/trino.md)",
    )
    args = parser.parse_args(argv)
    if args.patients < 1:
        parser.error(f"--patients {args.patients} is not a positive number of patients")
    try:
        if args.engine == "trino":
            from scripts.parity_trino import check_parity_on_trino

            with tempfile.TemporaryDirectory(prefix="healthlake-parity-trino-") as scratch:
                workdir = args.workdir or Path(scratch)
                workdir.mkdir(parents=True, exist_ok=True)
                return check_parity_on_trino(args.patients, workdir)
        return _check_parity(args.patients, args.workdir)
    except HealthlakeError as error:
        return print_error(error)


def _check_parity(patients: int, kept_workdir: Path | None) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="healthlake-parity-") as scratch:
        workdir = kept_workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        print("parity: building the DuckDB lakehouse ...", file=sys.stderr)
        lakehouse, _ = build_native(workdir, patients)
        print("parity: compiling for athena against moto ...", file=sys.stderr)
        with moto_server() as endpoint:
            manifest = compile_athena(workdir, endpoint, lakehouse)
        verdicts, unparsed_tests = check(lakehouse, manifest)
        print(
            "parity: publishing every role and comparing it with its Athena SQL ...",
            file=sys.stderr,
        )
        role_verdicts = check_roles(lakehouse, workdir / "published")
    tests_parsed = sum(
        1
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node["package_name"] == "healthlake"
    )
    print(report(verdicts, unparsed_tests, tests_parsed))
    print()
    print(role_report(role_verdicts))
    print(f"parity checked in {time.perf_counter() - started:.0f} s")
    failed = [v.name for v in verdicts if not v.passed]
    stale = [v.name for v in verdicts if v.known_gap and v.equal]
    if stale:
        print(f"error: listed as known gaps but now equal, remove them: {', '.join(stale)}")
    failed += [f"{v.role} {v.relation}" for v in role_verdicts if not v.passed]
    if failed or unparsed_tests or stale:
        if failed:
            print(f"error: parity regressions: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
