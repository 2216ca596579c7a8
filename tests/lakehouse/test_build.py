"""`just build` on DuckDB: readers of the lakehouse never see half a build.

One warehouse of 300 generated patients for the module: a good build, then builds that fail,
are killed or lose their dbt, each checked to leave the published file as the good build left
it. The tests run in file order and each starts from the state the previous one left.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from generators.config import GeneratorConfig
from generators.output import generate
from lakehouse.build import describe_run_results
from tests.conftest import JUST, REPO_ROOT, pipeline_env, python_module, query_lakehouse, run

pytestmark = pytest.mark.dbt

UNCHANGED = "the lakehouse is unchanged (last good build)"


class Warehouse:
    """The module's warehouse: its files and the environment every build runs with."""

    def __init__(self, root: Path) -> None:
        self.env = pipeline_env(root, "build-test")
        self.folder = Path(self.env["HEALTHLAKE_WAREHOUSE"])
        self.generated = self.folder / "generated"
        self.published = self.folder / "lakehouse.duckdb"
        self.working = self.folder / ".lakehouse.building.duckdb"
        self.first_build: subprocess.CompletedProcess[str] | None = None

    def load(self) -> None:
        loaded = python_module("iceberg", "load", "--from", str(self.generated), env=self.env)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr

    def build(self) -> subprocess.CompletedProcess[str]:
        return run([*JUST, "build"], env=self.env)

    def start_build(self) -> subprocess.Popen[str]:
        """`python -m lakehouse build --full-refresh` in its own process group, returned once dbt
        has the working copy open (the mirror has started writing it). A full refresh, because
        a build with nothing new would not start dbt at all."""
        process = subprocess.Popen(
            [sys.executable, "-m", "lakehouse", "build", "--full-refresh"],
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while _dbt_child(process.pid, self.working) is None:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "dbt never opened the working copy"
            time.sleep(0.1)
        return process

    def state(self) -> tuple[str, list[list[str]]]:
        """The published file's SHA-256 and every table's row count, as a reader sees them."""
        digest = hashlib.sha256(self.published.read_bytes()).hexdigest()
        tables = query_lakehouse(
            self.published,
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('bronze', 'silver', 'omop', 'gold', 'ops') order by 1, 2",
        )
        counts = " union all ".join(
            f'select \'{schema}.{table}\', count(*) from "{schema}"."{table}"'
            for schema, table in tables
        )
        return digest, query_lakehouse(self.published, f"{counts} order by 1")

    def leftovers(self) -> list[str]:
        """Files a build must not leave behind: its working copy and any DuckDB log."""
        return sorted(
            path.name
            for path in self.folder.iterdir()
            if path.name.startswith(".lakehouse.building") or path.name.endswith(".wal")
        )


def _dbt_child(parent: int, working: Path) -> int | None:
    """The child process of `parent` that holds `working` open, if any."""
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except FileNotFoundError:
        return None
    for child in map(int, children):
        try:
            for descriptor in Path(f"/proc/{child}/fd").iterdir():
                if descriptor.readlink() == working:
                    return child
        except (FileNotFoundError, PermissionError):
            continue
    return None


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """300 generated patients loaded and built once (the `generated` fixture's dataset)."""
    house = Warehouse(tmp_path_factory.mktemp("build"))
    generate(GeneratorConfig(patients=300, seed=7, batch_size=128), house.generated)
    house.load()
    house.first_build = house.build()
    return house


def test_a_good_build_publishes_and_leaves_no_working_copy(warehouse: Warehouse) -> None:
    first = warehouse.first_build
    assert first is not None and first.returncode == 0, first
    lines = first.stdout.splitlines()
    assert lines[-1] == "dbt build --target duckdb: all models built and all tests passed"
    # The first build has nothing to copy: dbt starts the working copy from nothing.
    assert not [line for line in lines if line.startswith("working copy: ")]
    assert query_lakehouse(warehouse.published, "select count(*) from omop.person") == [["300"]]
    assert warehouse.leftovers() == []


def _tamper_feed_birth_year(generated: Path) -> Callable[[], None]:
    """Make the OMOP feed's first person a year older than their FHIR Patient; returns the undo."""
    path = generated / "omop" / "person.parquet"
    original = path.read_bytes()
    rows = pq.read_table(path)
    years = rows.column("year_of_birth").to_pylist()
    years[0] -= 1
    index = rows.schema.get_field_index("year_of_birth")
    field = rows.schema.field(index)
    pq.write_table(rows.set_column(index, field, pa.array(years, field.type)), path)
    return lambda: path.write_bytes(original)


def test_a_failed_build_leaves_the_last_good_build(warehouse: Warehouse) -> None:
    good = warehouse.state()
    # A real bad load: the feed disagrees with FHIR, so the reconciliation test fails after
    # staging (silver) has been rebuilt from it, and what depends on the test is skipped.
    undo = _tamper_feed_birth_year(warehouse.generated)
    warehouse.load()
    failed = warehouse.build()
    undo()
    warehouse.load()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    [line] = _error_lines(failed.stderr)
    assert line.startswith(
        "error: dbt build --target duckdb failed: 1 test failed (feed_persons_match_fhir); "
    )
    assert line.endswith(
        f" skipped; {UNCHANGED}. Full log: {warehouse.env['DBT_LOG_PATH']}/dbt.log"
    )
    assert "Failure in test feed_persons_match_fhir" in failed.stdout
    assert warehouse.state() == good
    assert warehouse.leftovers() == []


def test_a_killed_build_leaves_the_last_good_build_and_the_next_one_cleans_up(
    warehouse: Warehouse,
) -> None:
    good = warehouse.state()
    process = warehouse.start_build()
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    assert warehouse.state() == good
    assert warehouse.working.exists()
    after = warehouse.build()
    assert after.returncode == 0, after.stdout + after.stderr
    removed = [line for line in after.stdout.splitlines() if line.startswith("removed ")]
    assert len(removed) == 1
    assert removed[0].startswith(
        f"removed an unfinished build's working copy {warehouse.working} ("
    )
    assert removed[0].endswith(" MiB)")
    lines = after.stdout.splitlines()
    assert next(line for line in lines if line.startswith("working copy: ")).endswith(" s")
    assert lines[-1] == "dbt build --target duckdb: all models built and all tests passed"
    assert warehouse.leftovers() == []


def test_dbt_killed_by_a_signal_is_reported_in_one_line(warehouse: Warehouse) -> None:
    good = warehouse.state()
    process = warehouse.start_build()
    dbt = _dbt_child(process.pid, warehouse.working)
    assert dbt is not None
    os.kill(dbt, signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert _error_lines(stderr) == [
        f"error: dbt was stopped (signal 9) before it finished; {UNCHANGED}. "
        f"Full log: {warehouse.env['DBT_LOG_PATH']}/dbt.log"
    ]
    assert warehouse.state() == good
    assert warehouse.leftovers() == []


def test_a_terminated_build_stops_dbt_and_removes_its_working_copy(warehouse: Warehouse) -> None:
    good = warehouse.state()
    process = warehouse.start_build()
    dbt = _dbt_child(process.pid, warehouse.working)
    process.terminate()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert _error_lines(stderr) == [
        "error: the build was interrupted (SIGTERM) and dbt stopped; its working copy was "
        f"removed; {UNCHANGED}"
    ]
    assert not Path(f"/proc/{dbt}").exists()
    assert warehouse.state() == good
    assert warehouse.leftovers() == []


def test_a_build_with_nothing_new_changes_nothing(warehouse: Warehouse) -> None:
    good = warehouse.state()
    again = warehouse.build()
    assert again.returncode == 0, again.stdout + again.stderr
    [line] = again.stdout.splitlines()[-1:]
    assert line.startswith("nothing new since the build of ")
    assert line.endswith(
        " (run build-test): bronze and the dbt project are unchanged, so the lakehouse is up to "
        "date (--full-refresh builds it again)"
    )
    assert "dbt build" not in again.stdout
    assert warehouse.state() == good


def test_a_changed_dbt_project_rebuilds_in_full(warehouse: Warehouse) -> None:
    # As if another version of the project built the file: its recorded fingerprint differs.
    with duckdb.connect(str(warehouse.published)) as conn:
        conn.execute("update ops.lakehouse_builds set project_fingerprint = 'other logic'")
    staged_before = query_lakehouse(
        warehouse.published, "select distinct dbt_invocation_id from silver.stg_fhir__patients"
    )
    rebuilt = warehouse.build()
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert (
        "full refresh: the dbt project (or dbt, DuckDB) changed since the last build, so the "
        "incremental models are rebuilt from all of bronze"
    ) in rebuilt.stdout.splitlines()
    staged_after = query_lakehouse(
        warehouse.published, "select distinct dbt_invocation_id from silver.stg_fhir__patients"
    )
    assert len(staged_after) == 1 and staged_after != staged_before
    last = query_lakehouse(
        warehouse.published,
        "select full_refresh, project_fingerprint <> 'other logic' from ops.lakehouse_builds "
        "order by built_at desc limit 1",
    )
    assert last == [["true", "true"]]


def test_progress_shows_each_model_built(warehouse: Warehouse) -> None:
    first = warehouse.first_build
    assert first is not None
    lines = first.stdout.splitlines()
    built = [line for line in lines if " OK created sql " in line]
    assert any("model silver.stg_fhir__observations" in line for line in built)
    assert any("model omop.person" in line for line in built)
    # Passing tests are counted in dbt's closing line, not listed.
    assert not [line for line in lines if " PASS " in line]
    assert any(line.startswith("Done. PASS=") for line in lines)


def test_run_results_name_what_failed_and_count_what_was_skipped(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    statuses = [
        ("model.healthlake.stg_fhir__patients", "error"),
        ("model.healthlake.person", "error"),
        ("model.healthlake.visit_occurrence", "success"),
        ("test.healthlake.unique_person_person_id.5f2a9c", "fail"),
        ("test.healthlake.dqd_plausible_value_range_measurement.a1", "warn"),
        ("unit_test.healthlake.person.a_patient_without_birth_date", "fail"),
        ("model.healthlake.dim_patient", "skipped"),
        ("test.healthlake.not_null_person_person_id.77", "skipped"),
    ]
    results = [{"unique_id": node, "status": status} for node, status in statuses]
    path.write_text(json.dumps({"results": results}))
    assert describe_run_results(path) == (
        "2 models errored (stg_fhir__patients, person), "
        "1 unit test failed (a_patient_without_birth_date), "
        "1 test failed (unique_person_person_id); 2 skipped"
    )


def test_run_results_list_the_first_five_names(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    results = [{"unique_id": f"model.healthlake.m{n}", "status": "error"} for n in range(7)]
    path.write_text(json.dumps({"results": results}))
    assert describe_run_results(path) == "7 models errored (m0, m1, m2, m3, m4 and 2 more)"


def test_missing_or_truncated_run_results_are_none(tmp_path: Path) -> None:
    assert describe_run_results(tmp_path / "absent.json") is None
    truncated = tmp_path / "run_results.json"
    truncated.write_text('{"results": [{"unique_id"')
    assert describe_run_results(truncated) is None
