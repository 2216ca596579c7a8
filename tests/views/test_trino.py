"""Views on a real Trino (Athena's engine): `--engine trino` runs the compiled Athena SQL on the
local Trino, and the official suite passes there as it does offline."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.ports import free_port
from tests.conftest import JUST, REPO_ROOT, needs_trino, one_line_error, run
from tests.views.test_conformance import SUITE

# Two real Synthea patient Bundles (served by Blaze): every shipped view finds rows in them.
EXPORT = REPO_ROOT / "tests" / "fixtures" / "fhir" / "real_world" / "synthea_blaze"
# A generated export whose patients have two given names.
TWO_GIVEN_NAMES = REPO_ROOT / "tests" / "fixtures" / "fhir" / "export_like"
SHIPPED = REPO_ROOT / "dbt_project" / "fhir_views"


@pytest.fixture(scope="module")
def trino_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a `just trino up` instance in a temp warehouse, on free ports."""
    warehouse = tmp_path_factory.mktemp("trino-views") / "warehouse"
    env = {
        "HEALTHLAKE_WAREHOUSE": str(warehouse),
        "HEALTHLAKE_TRINO_PORT": str(free_port()),
        "HEALTHLAKE_TRINO_CATALOG_PORT": str(free_port()),
    }
    up = run([*JUST, "trino", "up"], env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield env
    finally:
        run([*JUST, "trino", "down"], env=env)
        elsewhere = warehouse / "trino" / "catalog_db" / "data-location"
        if elsewhere.exists():
            shutil.rmtree(Path(elsewhere.read_text(encoding="utf-8").strip()).parent)


@needs_trino
@pytest.mark.skipif(not SUITE.is_dir(), reason=f"{SUITE} is not beside the repo")
def test_the_official_suite_passes_on_trino(trino_env: dict[str, str]) -> None:
    result = run([*JUST, "view-tests", str(SUITE), "--engine", "trino"], env=trino_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "134 passed, 0 failed"


def _rows(stdout: str) -> list[str]:
    return sorted(json.dumps(json.loads(line), sort_keys=True) for line in stdout.splitlines())


@needs_trino
@pytest.mark.parametrize(
    "view", ["patient_demographics", "us_core_blood_pressures", "claims", "immunizations"]
)
def test_a_shipped_view_gives_the_same_rows_on_trino_and_duckdb(
    trino_env: dict[str, str], view: str
) -> None:
    args = [*JUST, "view", str(SHIPPED / f"{view}.json"), str(EXPORT)]
    on_duckdb = run(args, env=trino_env)
    on_trino = run([*args, "--engine", "trino"], env=trino_env)
    assert on_duckdb.returncode == 0 and on_trino.returncode == 0, on_trino.stderr
    assert on_duckdb.stdout.strip(), "the export holds no resource of this view"
    assert _rows(on_trino.stdout) == _rows(on_duckdb.stdout)


@needs_trino
def test_a_failing_view_on_trino_is_one_line_naming_the_view(
    trino_env: dict[str, str], tmp_path: Path
) -> None:
    view = tmp_path / "given.json"
    view.write_text(
        json.dumps(
            {
                "resourceType": "ViewDefinition",
                "name": "given_names",
                "resource": "Patient",
                "select": [{"column": [{"name": "given", "path": "name.given"}]}],
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "rows.ndjson"
    result = run(
        [*JUST, "view", str(view), str(TWO_GIVEN_NAMES), "--engine", "trino", "--out", str(out)],
        env=trino_env,
    )
    # Many given names in a column that is not a collection: stopped by Trino, named by us.
    one_line_error(result, "view given_names:")
    assert not out.exists()


def test_trino_without_a_running_server_says_how_to_start_it(tmp_path: Path) -> None:
    result = run(
        [*JUST, "view-tests", str(REPO_ROOT / "tests"), "--engine", "trino"],
        env={"HEALTHLAKE_WAREHOUSE": str(tmp_path)},
    )
    one_line_error(result, "not running", "just trino up")


def test_parquet_from_trino_is_refused_before_anything_runs(tmp_path: Path) -> None:
    out = tmp_path / "rows.parquet"
    result = run(
        [
            *JUST,
            "view",
            str(SHIPPED / "patient_demographics.json"),
            str(EXPORT),
            "--engine",
            "trino",
            "--format",
            "parquet",
            "--out",
            str(out),
        ],
        env={"HEALTHLAKE_WAREHOUSE": str(tmp_path)},
    )
    one_line_error(result, "--format parquet", "ndjson or csv")
    assert not out.exists()
