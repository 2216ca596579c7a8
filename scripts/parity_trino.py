"""Athena parity on Athena's engine: `just parity --engine trino`.

The sqlglot check (scripts/parity.py) runs the Athena SQL on DuckDB after translating it; this
runs it on a real Trino (476, over Iceberg, the engine of Athena v3), so Trino's own semantics
are exercised: JSON functions on non-scalars, Java regular expressions, timestamp precision,
`unnest`, integer division, Iceberg `MERGE` and `CREATE OR REPLACE TABLE`.

1. A scratch Trino and its catalog database start in the work folder, on free ports.
2. Bronze is loaded once into that catalog (`--catalog trino`): a generated population, then, as
   a second run, the hand-written exports with real-world shapes.
3. Both engines build from those same bronze snapshots, twice: after the first load, and after
   the second, so the incremental models take their `merge` path on both. Each `dbt build` runs
   every seed, model, unit test and data test; a failure on either engine is a parity failure.
4. Every model's table on Trino is compared with DuckDB's with the rules of the sqlglot check:
   order-insensitive multisets, floats to 1e-6, the build-time columns left out.

Differences whose cause is the engines' and not our SQL are listed in
scripts/parity_trino_differences.yml with the reason; they are reported, never hidden, and the
run fails if a listed model becomes equal, so the list cannot go stale.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from common.paths import PROFILES_DIR
from scripts.parity import (
    FIXTURE_FHIR,
    FLOAT_DIGITS,
    VOLATILE_COLUMNS,
    _run,
)

DIFFERENCES_FILE = Path(__file__).with_name("parity_trino_differences.yml")


@dataclass
class EngineParity:
    """The verdict for one model: its rows on each engine, and whether they are equal."""

    relation: str
    duckdb_rows: int | None = None
    trino_rows: int | None = None
    differing: int | None = None
    note: str = ""
    listed: str | None = None

    @property
    def equal(self) -> bool:
        return self.differing == 0

    @property
    def passed(self) -> bool:
        return self.equal or (self.listed is not None and self.differing is not None)


def listed_differences() -> dict[str, str]:
    """Models whose rows differ between Trino and DuckDB for a stated reason."""
    if not DIFFERENCES_FILE.exists():
        return {}
    entries = yaml.safe_load(DIFFERENCES_FILE.read_text(encoding="utf-8")) or {}
    return {str(name): str(reason) for name, reason in entries.items()}


@contextmanager
def trino_environment(state: Path) -> Iterator[dict[str, str]]:
    """A scratch Trino in `state`; yields the environment that points the project's commands
    at it."""
    from trino_server.server import scratch_trino

    started = time.perf_counter()
    with scratch_trino(state, say=lambda line: print(line, file=sys.stderr)) as trino:
        seconds = time.perf_counter() - started
        print(f"parity: trino up in {seconds:.1f} s at {trino.url}", file=sys.stderr)
        yield {
            "HEALTHLAKE_TRINO_PORT": str(trino.port),
            "HEALTHLAKE_TRINO_CATALOG_PORT": str(trino.database.port),
            "HEALTHLAKE_CATALOG": "trino",
        }


def _engine_env(workdir: Path, engine: str, base: dict[str, str]) -> dict[str, str]:
    return {
        **base,
        "DBT_TARGET_PATH": str(workdir / f"{engine}_target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
    }


def build_both(workdir: Path, env: dict[str, str], step: str) -> dict[str, dict[str, str]]:
    """`dbt build` on Trino, then on DuckDB, from the catalog's current bronze; returns each
    engine's node statuses. Trino goes first: its build creates the declared bronze sources the
    catalog lacks (empty), which DuckDB's mirror then copies, so both read the same tables."""
    python = sys.executable
    statuses = {}
    for engine in ("trino", "duckdb"):
        print(f"parity: {step}: dbt build --target {engine} ...", file=sys.stderr)
        started = time.perf_counter()
        _run(
            [python, "-m", "lakehouse", "build", engine],
            _engine_env(workdir, engine, env),
        )
        print(
            f"parity: {step}: {engine} built in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        results = json.loads(
            (workdir / f"{engine}_target" / "run_results.json").read_text(encoding="utf-8")
        )["results"]
        statuses[engine] = {str(r["unique_id"]): str(r["status"]) for r in results}
    return statuses


def _trino_rows(cursor: Any, relation: str, columns: list[str]) -> pa.Table:
    """A Trino table's rows as Arrow, on `columns`."""
    select = ", ".join('"' + name.replace('"', '""') + '"' for name in columns)
    schema, table = relation.split(".")
    cursor.execute(f'select {select} from "{schema}"."{table}"')
    rows = cursor.fetchall()
    data = {name: [_plain(row[index]) for row in rows] for index, name in enumerate(columns)}
    return pa.table(data) if rows else pa.table({name: pa.array([], pa.null()) for name in columns})


def _plain(value: Any) -> Any:
    """A Trino client value as Arrow takes it: decimals as floats (both sides are rounded to
    FLOAT_DIGITS), timestamps without the UTC zone the client attaches."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def compare_model(
    conn: duckdb.DuckDBPyConnection, cursor: Any, relation: str
) -> tuple[int, int, int]:
    """(rows on Trino, rows on DuckDB, rows in one but not the other as a multiset)."""
    schema, table = relation.split(".")
    described = conn.execute(f'describe "{schema}"."{table}"').fetchall()
    columns = [(str(row[0]), str(row[1])) for row in described if row[0] not in VOLATILE_COLUMNS]
    names = [name for name, _ in columns]
    trino = _trino_rows(cursor, relation, names)
    conn.register("trino_rows", trino)
    try:
        selects = []
        for name, kind in columns:
            quoted = '"' + name.replace('"', '""') + '"'
            typed = f"cast({quoted} as {kind})"
            if kind in {"DOUBLE", "FLOAT", "REAL"} or kind.startswith("DECIMAL"):
                typed = f"round(cast({quoted} as double), {FLOAT_DIGITS})"
            selects.append(f"{typed} as {quoted}")
        select = ", ".join(selects)
        counts = conn.execute(
            f"""
            with
            on_trino as (select {select} from trino_rows),
            on_duckdb as (select {select} from "{schema}"."{table}")
            select
                (select count(*) from on_trino),
                (select count(*) from on_duckdb),
                (select count(*) from (
                    (select * from on_trino except all select * from on_duckdb)
                    union all
                    (select * from on_duckdb except all select * from on_trino)
                ) as differences)
            """
        ).fetchall()[0]
    finally:
        conn.unregister("trino_rows")
    return int(counts[0]), int(counts[1]), int(counts[2])


def check(workdir: Path, env: dict[str, str]) -> list[EngineParity]:
    """Every model of the DuckDB build compared with its table on Trino."""
    import trino

    listed = listed_differences()
    manifest = json.loads((workdir / "duckdb_target" / "manifest.json").read_text("utf-8"))
    connection = trino.dbapi.connect(
        host="127.0.0.1",
        port=int(env["HEALTHLAKE_TRINO_PORT"]),
        user="healthlake",
        catalog="iceberg",
    )
    verdicts = []
    lakehouse = Path(env["HEALTHLAKE_WAREHOUSE"]) / "lakehouse.duckdb"
    with duckdb.connect(str(lakehouse), read_only=True) as conn:
        cursor = connection.cursor()
        for node in sorted(manifest["nodes"].values(), key=lambda n: n["unique_id"]):
            if node["package_name"] != "healthlake" or node["resource_type"] != "model":
                continue
            if node["config"]["materialized"] == "ephemeral":
                continue
            verdict = EngineParity(f"{node['schema']}.{node['alias']}")
            verdict.listed = listed.get(node["name"])
            verdicts.append(verdict)
            try:
                trino_rows, duckdb_rows, differing = compare_model(conn, cursor, verdict.relation)
            except (trino.exceptions.TrinoQueryError, duckdb.Error) as error:
                verdict.note = str(error).splitlines()[0][:160]
                continue
            verdict.trino_rows, verdict.duckdb_rows, verdict.differing = (
                trino_rows,
                duckdb_rows,
                differing,
            )
            if differing:
                verdict.note = f"{differing} rows differ"
    connection.close()
    return verdicts


def _mark(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[value]


def report(verdicts: list[EngineParity], statuses: dict[str, dict[str, str]]) -> str:
    """The per-model table, then what each engine proved."""
    width = max(len(v.relation) for v in verdicts)
    lines = [
        f"{'model':<{width}}  trino rows  duckdb rows  equal  note",
        "-" * (width + 44),
    ]
    for v in verdicts:
        note = f"listed difference: {v.listed}" if v.listed and not v.equal else v.note
        verdict = None if v.differing is None else v.equal
        lines.append(
            f"{v.relation:<{width}}  {'-' if v.trino_rows is None else v.trino_rows:>10}  "
            f"{'-' if v.duckdb_rows is None else v.duckdb_rows:>11}  {_mark(verdict):>5}  {note}"
        )
    equal = sum(1 for v in verdicts if v.equal)
    lines.append("-" * (width + 44))
    lines.append(
        f"{len(verdicts)} models built on Trino 476 over Iceberg: {equal} equal to DuckDB "
        f"({100 * equal // max(len(verdicts), 1)}%), "
        f"{sum(1 for v in verdicts if v.listed and not v.equal)} listed differences"
    )
    for kind, noun in (("test", "data tests"), ("unit_test", "unit tests"), ("seed", "seeds")):
        counts = []
        for engine in ("trino", "duckdb"):
            nodes = {k: s for k, s in statuses[engine].items() if k.startswith(f"{kind}.")}
            passed = sum(1 for s in nodes.values() if s in {"pass", "success"})
            # A test of severity warn that finds rows warns on both engines, by design
            # (expect_no_rows on ops.fhir_set_aside when the fixtures set values aside).
            warned = sum(1 for s in nodes.values() if s == "warn")
            counts.append(
                f"{passed} of {len(nodes)} pass on {engine}"
                + (f" ({warned} warn)" if warned else "")
            )
        lines.append(f"{noun}: " + ", ".join(counts))
    return "\n".join(lines)


def check_parity_on_trino(patients: int, workdir: Path) -> int:
    """Run the whole Trino parity check in `workdir`; return the exit status."""
    from trino_server.distribution import find_java

    find_java()  # a missing JDK is one line now, not after the slow steps
    started = time.perf_counter()
    warehouse = workdir / "warehouse"
    generated = warehouse / "generated"
    with trino_environment(workdir / "trino") as trino_env:
        env = {
            **os.environ,
            **trino_env,
            "HEALTHLAKE_WAREHOUSE": str(warehouse),
            "PIPELINE_RUN_ID": "parity",
            "DBT_PROFILES_DIR": str(PROFILES_DIR),
        }
        python = sys.executable
        print("parity: loading bronze into the Trino catalog ...", file=sys.stderr)
        _run(
            [python, "-m", "generators", "generate", str(patients), "7", "--out", str(generated)],
            env,
        )
        _run([python, "-m", "iceberg", "load", "--from", str(generated), "--catalog", "trino"], env)
        build_both(workdir, env, "first load")
        _run(
            [
                python,
                "-m",
                "iceberg",
                "ingest-fhir",
                *map(str, FIXTURE_FHIR),
                "--catalog",
                "trino",
            ],
            {**env, "PIPELINE_RUN_ID": "parity-2"},
        )
        statuses = build_both(workdir, env, "second load (incremental)")
        verdicts = check(workdir, env)
    print(report(verdicts, statuses))
    print(f"parity on trino checked in {time.perf_counter() - started:.0f} s")
    # Every data and unit test has one outcome on both engines (a warn on one is a warn on both).
    outcomes = [
        f"{node} ({status} on trino, {statuses['duckdb'].get(node, 'not run')} on duckdb)"
        for node, status in sorted(statuses["trino"].items())
        if node.startswith(("test.", "unit_test.")) and statuses["duckdb"].get(node) != status
    ]
    print(f"tests whose outcome differs between the engines: {len(outcomes)}")
    for line in outcomes:
        print(f"  {line}")
    failed = [v.relation for v in verdicts if not v.passed] + outcomes
    stale = [v.relation for v in verdicts if v.listed and v.equal]
    if stale:
        print(f"error: listed as differences but now equal, remove them: {', '.join(stale)}")
    if failed:
        print(f"error: trino parity failures: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed or stale else 0
