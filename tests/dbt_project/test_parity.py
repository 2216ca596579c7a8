"""`just parity` runs in the suite: every model compiles and parses for Athena (against a moto
server on 127.0.0.1) and its transpiled SQL returns the same rows as the DuckDB build."""

from __future__ import annotations

import pytest
import sqlglot

from scripts.parity import athena_to_duckdb
from tests.conftest import JUST, run

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
