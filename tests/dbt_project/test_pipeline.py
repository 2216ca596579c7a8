"""End to end: `just run-local` on a temp warehouse, then a separate process queries the file."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import JUST, REPO_ROOT, query_lakehouse, run

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def pipeline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("pipeline")
    return {
        "HEALTHLAKE_WAREHOUSE": str(root / "warehouse"),
        "DBT_TARGET_PATH": str(root / "dbt_target"),
        "DBT_LOG_PATH": str(root / "dbt_logs"),
        "PIPELINE_RUN_ID": "test-run-1",
    }


@pytest.fixture(scope="module")
def first_run(pipeline_env: dict[str, str]) -> Iterator[subprocess.CompletedProcess[str]]:
    result = run([*JUST, "run-local", "250", "5"], env=pipeline_env)
    assert result.returncode == 0, result.stdout + result.stderr
    yield result


def _query(env: dict[str, str], sql: str) -> list[list[str]]:
    return query_lakehouse(Path(env["HEALTHLAKE_WAREHOUSE"]) / "lakehouse.duckdb", sql)


def test_run_local_prints_a_summary(first_run: subprocess.CompletedProcess[str]) -> None:
    out = first_run.stdout
    assert "run test-run-1" in out
    assert "generated 250 patients (seed 5)" in out
    assert "all models built and all tests passed" in out
    for schema in ("bronze", "silver", "omop", "gold", "ops"):
        assert f"\n  {schema}: " in out
    for table in ("omop.person", "omop.measurement", "gold.dim_patient"):
        assert table in out
    assert "done in" in out


def test_every_layer_is_queryable_from_another_process(
    first_run: subprocess.CompletedProcess[str], pipeline_env: dict[str, str]
) -> None:
    counts = _query(
        pipeline_env,
        "select (select count(*) from bronze.fhir_patient), "
        "(select count(*) from silver.stg_fhir__patients), "
        "(select count(*) from omop.person), "
        "(select count(*) from gold.dim_patient), "
        "(select count(*) from gold.dim_patient where is_reconciled_with_feed)",
    )
    assert counts == [["250", "250", "250", "250", "250"]]


def test_lineage_carries_the_pipeline_run_id(
    first_run: subprocess.CompletedProcess[str], pipeline_env: dict[str, str]
) -> None:
    rows = _query(
        pipeline_env,
        "select distinct pipeline_run_id from gold.dim_patient "
        "union all select distinct pipeline_run_id from bronze.omop_person",
    )
    assert rows == [["test-run-1"], ["test-run-1"]]


def test_second_run_changes_nothing_and_duplicates_nothing(
    first_run: subprocess.CompletedProcess[str], pipeline_env: dict[str, str]
) -> None:
    before = _query(
        pipeline_env, "select person_id, person_source_value from omop.person order by 1"
    )
    again = run(
        [*JUST, "run-local", "250", "5"], env={**pipeline_env, "PIPELINE_RUN_ID": "test-run-2"}
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "unchanged (1 file(s) already loaded)" in again.stdout
    after = _query(
        pipeline_env, "select person_id, person_source_value from omop.person order by 1"
    )
    assert after == before
    assert _query(pipeline_env, "select count(*) from bronze.fhir_patient") == [["250"]]


def test_build_before_any_load_is_a_one_line_error(tmp_path: Path) -> None:
    env = {
        "HEALTHLAKE_WAREHOUSE": str(tmp_path / "empty"),
        "DBT_TARGET_PATH": str(tmp_path / "t"),
        "DBT_LOG_PATH": str(tmp_path / "l"),
    }
    result = run([*JUST, "build"], env=env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"error: no Iceberg catalog at {tmp_path / 'empty' / 'catalog.db'}; "
        "run 'just load' (or 'just run-local') first"
    ]


@pytest.mark.parametrize("count", ["ten", "0"])
def test_bad_patient_count_stops_run_local(count: str, tmp_path: Path) -> None:
    result = run([*JUST, "run-local", count], env={"HEALTHLAKE_WAREHOUSE": str(tmp_path)})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"error: patient count must be a positive integer, got '{count}'"
    ]
    assert not (tmp_path / "catalog.db").exists()


def test_athena_target_parses(tmp_path: Path) -> None:
    env = {
        "AWS_REGION": "us-east-1",
        "HEALTHLAKE_ATHENA_S3_STAGING_DIR": "s3://results-bucket/athena/",
        "HEALTHLAKE_ATHENA_S3_DATA_DIR": "s3://lake-bucket/dbt/",
        "DBT_TARGET_PATH": str(tmp_path / "t"),
        "DBT_LOG_PATH": str(tmp_path / "l"),
    }
    result = run(
        ["dbt", "parse", "--target", "athena", "--profiles-dir", str(REPO_ROOT / "profiles")],
        env=env,
        cwd=REPO_ROOT / "dbt_project",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_athena_target_names_a_missing_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHLAKE_ATHENA")}
    env |= {"AWS_REGION": "us-east-1", "DBT_TARGET_PATH": str(tmp_path / "t")}
    result = subprocess.run(
        ["dbt", "parse", "--target", "athena", "--profiles-dir", str(REPO_ROOT / "profiles")],
        cwd=REPO_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "HEALTHLAKE_ATHENA_S3_STAGING_DIR" in result.stdout + result.stderr
