"""`just parity` runs in the suite: every model compiles and parses for Athena (against a moto
server on 127.0.0.1) and its transpiled SQL returns the same rows as the DuckDB build."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot

from lakehouse.athena_offline import athena_to_duckdb
from scripts.compare_results import compare_with_lakehouse
from tests.conftest import JUST, duckdb_file, run

pytestmark = pytest.mark.dbt


def test_every_model_is_at_parity_with_duckdb() -> None:
    result = run([*JUST, "parity"])
    assert result.returncode == 0, result.stdout + result.stderr
    summary = [line for line in result.stdout.splitlines() if line.endswith("known gaps")]
    assert len(summary) == 1
    models = int(summary[0].split()[0])
    assert models >= 50
    assert f"{models} compile, {models} parse, {models} equal to DuckDB (100%)" in summary[0]
    assert "data tests:" in result.stdout


def test_sql_that_athena_rejects_is_caught() -> None:
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse(
            "select a::int from t where", read="athena", error_level=sqlglot.ErrorLevel.RAISE
        )
    transpiled = athena_to_duckdb(
        'select json_extract_scalar(j, \'$.a\') from "awsdatacatalog"."silver"."x"'
    )
    assert "awsdatacatalog" not in transpiled
    assert "JSON_EXTRACT_STRING" in transpiled.upper() or "->>" in transpiled


def test_results_comparison_finds_equal_and_differing_tables(tmp_path: Path) -> None:
    """The real-account comparison (scripts/compare_results.py) on tables we control."""
    lakehouse = duckdb_file(
        tmp_path / "lakehouse.duckdb",
        "create schema omop",
        "create table omop.person as select range as person_id, range * 1.5 as score, "
        "current_timestamp as transformed_at from range(5)",
    )
    same = pa.table({"person_id": [4, 3, 2, 1, 0], "score": [6.0, 4.5, 3.0, 1.5000000001, 0.0]})
    changed = pa.table({"person_id": [0, 1, 2, 3, 3], "score": [0.0, 1.5, 3.0, 4.5, 4.5]})
    assert compare_with_lakehouse(lakehouse, {"omop.person": same}) == [
        ("omop.person", "equal (athena 5, duckdb 5)")
    ]
    assert compare_with_lakehouse(lakehouse, {"omop.person": changed}) == [
        ("omop.person", "2 rows differ (athena 5, duckdb 5)")
    ]
