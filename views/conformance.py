"""The SQL on FHIR v2 test format (`tests.schema.json`), run against the compiler.

A test file holds `resources` and `tests`; each test has a `view` and either the rows to
`expect` (compared as a multiset: order is not part of a view's result), `expectColumns` (the
column names in order) or `expectError` (the view must be refused, at compile time or when it
runs). Numbers compare to 1e-9, so 1.5 written as a decimal string equals 1.5.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from views import definition, runner
from views.compiler import CompiledView
from views.exceptions import ViewError

if TYPE_CHECKING:
    from views.trino_run import TrinoSession


@dataclass(frozen=True)
class Outcome:
    """One test's result: `problem` is None when it passed."""

    file: Path
    title: str
    problem: str | None


def test_files(path: Path) -> list[Path]:
    """The test files at `path`: the file itself, or every *.json under the folder, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.json") if p.name != "tests.schema.json")
    return [path]


def _canonical(value: Any) -> Any:
    """A hashable, order-keeping form of a row value in which 1 == 1.0 == '1.0'-as-decimal."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return ("number", round(float(value), 9)) if math.isfinite(value) else value
    if isinstance(value, list):
        return tuple(_canonical(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _canonical(item)) for key, item in value.items()))
    return value


def _rows(rows: list[dict[str, Any]]) -> Counter[Any]:
    return Counter(_canonical(row) for row in rows)


def run_file(path: Path, engine: str, trino: TrinoSession | None = None) -> Iterator[Outcome]:
    """Run every test of one file on `engine`: DuckDB running its own SQL or the Athena SQL
    offline, or, with `trino` (engine "trino"), the Athena SQL on a real Trino."""
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        yield Outcome(path, "(file)", f"cannot read the test file: {error}")
        return
    con = duckdb.connect()
    runner.insert_resources(con, suite.get("resources", []))
    if trino is not None:
        trino.copy_resources(con)

    def view_rows(view: definition.ViewDefinition) -> tuple[CompiledView, list[dict[str, Any]]]:
        if trino is not None:
            return trino.run(view)
        compiled, relation = runner.run(con, view, engine)
        return compiled, runner.fetch(compiled, relation)

    for test in suite.get("tests", []):
        yield Outcome(path, str(test.get("title", "(untitled)")), _run_test(view_rows, test))


def _run_test(
    view_rows: Callable[[definition.ViewDefinition], tuple[CompiledView, list[dict[str, Any]]]],
    test: dict[str, Any],
) -> str | None:
    try:
        compiled, rows = view_rows(definition.read(test.get("view")))
    except ViewError as error:
        if test.get("expectError"):
            return None
        return f"error: {error}"
    if test.get("expectError"):
        return f"expected an error, got {len(rows)} rows"
    problems = []
    if "expectColumns" in test:
        names = [column.name for column in compiled.columns]
        if names != test["expectColumns"]:
            problems.append(f"columns {names}, expected {test['expectColumns']}")
    if "expect" in test:
        got, want = _rows(rows), _rows(test["expect"])
        if got != want:
            missing = list((want - got).elements())[:2]
            extra = list((got - want).elements())[:2]
            problems.append(
                f"{len(rows)} rows, expected {len(test['expect'])}; missing "
                f"{_shown(missing)}, unexpected {_shown(extra)}"
            )
    return "; ".join(problems) or None


def _shown(rows: list[Any]) -> str:
    return json.dumps([dict(row) for row in rows], default=str)[:300] if rows else "none"
