"""The official SQL on FHIR v2 suite (../shared/reference/sql_on_fhir_v2/tests, 134 tests) passes
on both engines, through the front door (`just view-tests`), and the runner itself can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run
from views import conformance

SUITE = REPO_ROOT.parent / "shared" / "reference" / "sql_on_fhir_v2" / "tests"
pytestmark = pytest.mark.skipif(not SUITE.is_dir(), reason=f"{SUITE} is not beside the repo")


@pytest.mark.parametrize("engine", ["duckdb", "athena"])
def test_the_official_suite_passes(engine: str) -> None:
    result = run(["just", "view-tests", str(SUITE), "--engine", engine])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "134 passed, 0 failed"


def test_a_wrong_expectation_is_reported_as_a_failure(tmp_path: Path) -> None:
    suite = json.loads((SUITE / "basic.json").read_text(encoding="utf-8"))
    suite["tests"] = suite["tests"][:2]
    suite["tests"][0]["expect"] = [{"id": "not-a-patient"}]
    suite["tests"][1]["expectError"] = True
    test_file = tmp_path / "broken.json"
    test_file.write_text(json.dumps(suite), encoding="utf-8")
    result = run(["just", "view-tests", str(test_file)])
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "0 passed, 2 failed"
    assert "basic attribute" in lines[0] and "missing" in lines[0]
    assert "expected an error" in lines[1]


def test_rows_compare_as_a_multiset_with_numbers_by_value() -> None:
    assert conformance._rows([{"a": 1}, {"a": 1.0}]) == conformance._rows([{"a": 1.0}, {"a": 1}])
    assert conformance._rows([{"a": 1}]) != conformance._rows([{"a": 1}, {"a": 1}])
    assert conformance._rows([{"a": [1, 2]}]) != conformance._rows([{"a": [2, 1]}])
