"""The shipped views (dbt_project/fhir_views/) over the real exports of five producers and the
messy fixture: every view runs on both engines, with the same rows, and nothing is refused."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT
from views import definition, runner
from views.conformance import _canonical

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "fhir"
INPUTS = [*sorted(p for p in (FIXTURES / "real_world").iterdir() if p.is_dir()), FIXTURES / "messy"]
VIEWS = sorted((REPO_ROOT / "dbt_project" / "fhir_views").glob("*.json"))


@pytest.mark.parametrize("source", INPUTS, ids=[p.name for p in INPUTS])
def test_every_shipped_view_gives_the_same_rows_on_both_engines(source: Path) -> None:
    con = duckdb.connect()
    loaded = runner.load_resources(con, [source])
    assert loaded.resources > 0
    rows_seen = 0
    for view_file in VIEWS:
        view = definition.load(view_file)
        results = {}
        for engine in ("duckdb", "athena"):
            compiled, relation = runner.run(con, view, engine)
            assert compiled.warnings == (), compiled.warnings
            results[engine] = Counter(_canonical(r) for r in runner.fetch(compiled, relation))
        assert results["duckdb"] == results["athena"], view.name
        rows_seen += sum(results["duckdb"].values())
    assert rows_seen > 0
