"""Results compared the way a learner can act on: columns, then types, then rows.

A result is its column names, a type family per column and its rows, each value made plain
(numbers rounded to 6 decimals, dates and timestamps as ISO text), so the expected result of a
reference solution can be cached as JSON and compared with the learner's exactly.

Messages never reveal the answer: a missing row is counted, never shown; an extra row is the
learner's own, so one is shown as an example. A keyed comparison (the task lists the keys, say
the columns of a table, and the values are the answer) names each key whose values are wrong
and the values the learner gave, never the expected ones.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import duckdb

DECIMALS = 6
# DuckDB's type names by family: a learner's count may be a BIGINT where the solution's is a
# HUGEINT, and a rate a DECIMAL where it is a DOUBLE; those are the same answer.
_FAMILIES = {
    "integer": (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    ),
    "number": ("FLOAT", "DOUBLE", "DECIMAL"),
    "text": ("VARCHAR",),
    "date": ("DATE",),
    "timestamp": (
        "TIMESTAMP",
        "TIMESTAMP_NS",
        "TIMESTAMP_MS",
        "TIMESTAMP_S",
        "TIMESTAMP WITH TIME ZONE",
    ),
    "boolean": ("BOOLEAN",),
}
_ARTICLE = {
    "integer": "an integer",
    "number": "a number",
    "text": "text",
    "date": "a date",
    "timestamp": "a timestamp",
    "boolean": "a boolean",
}


def type_family(type_name: str) -> str:
    """The family of a DuckDB type name (`DECIMAL(18,3)` is a number); other types as they are."""
    base = type_name.upper().split("(")[0].strip()
    for family, names in _FAMILIES.items():
        if base in names:
            return family
    return type_name.lower()


def plain(value: Any) -> Any:
    """A value as JSON can hold it, the same for the same answer."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, (float, Decimal)):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        rounded = round(number, DECIMALS)
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return str(value)


@dataclass(frozen=True)
class Result:
    """What a query or an answer returned, made plain."""

    columns: tuple[str, ...]
    families: tuple[str, ...]
    rows: tuple[str, ...]  # each row as JSON text: hashable, and the same for equal rows

    def to_json(self) -> str:
        """The result as JSON, to cache."""
        return json.dumps({"columns": self.columns, "families": self.families, "rows": self.rows})

    @classmethod
    def from_json(cls, text: str) -> Result:
        """A result cached with to_json."""
        data = json.loads(text)
        return cls(tuple(data["columns"]), tuple(data["families"]), tuple(data["rows"]))


def from_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], families: Sequence[str] | None = None
) -> Result:
    """A result from plain Python rows (an answer function's), families taken from the values."""
    if families is None:
        families = [_value_family([row[i] for row in rows]) for i in range(len(columns))]
    return Result(
        tuple(str(c).lower() for c in columns),
        tuple(families),
        tuple(json.dumps([plain(v) for v in row]) for row in rows),
    )


def _value_family(values: list[Any]) -> str:
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int):
            return "integer"
        if isinstance(value, (float, Decimal)):
            return "number"
        if isinstance(value, datetime):
            return "timestamp"
        if isinstance(value, date):
            return "date"
        if isinstance(value, str):
            return "text"
        return type(value).__name__
    return "null"


def from_relation(relation: duckdb.DuckDBPyRelation) -> Result:
    """A DuckDB query's result (all rows are fetched)."""
    families = [type_family(str(t)) for t in relation.types]
    return from_rows(relation.columns, relation.fetchall(), families)


def _shown(columns: Sequence[str], row_json: str) -> str:
    values = json.loads(row_json)
    return ", ".join(
        f"{column}={json.dumps(value)}" for column, value in zip(columns, values, strict=True)
    )


def differences(
    expected: Result, actual: Result, *, ordered: bool = False, key: str | None = None
) -> list[str]:
    """What is wrong with `actual`, in words a learner can act on; [] when it is right.

    Args:
        expected: the reference solution's result.
        actual: the learner's.
        ordered: the rows must come in the expected order.
        key: the column that names each row (its values are given by the task): the rows are
            compared key by key, and each wrong one is named.
    """
    if expected.columns != actual.columns:
        return [
            f"expected columns {', '.join(expected.columns) or '(none)'}; "
            f"you returned {', '.join(actual.columns) or '(none)'}"
        ]
    problems = []
    for column, want, got in zip(expected.columns, expected.families, actual.families, strict=True):
        # A column with no values anywhere (all null) has no family to be wrong about.
        if want != got and "null" not in (want, got):
            problems.append(
                f"column {column}: expected {_ARTICLE.get(want, want)}, you returned "
                f"{_ARTICLE.get(got, got)}"
            )
    if problems:
        return problems
    if key is not None:
        return _keyed_differences(expected, actual, key)
    want_rows, got_rows = Counter(expected.rows), Counter(actual.rows)
    missing = sum((want_rows - got_rows).values())
    extra_rows = got_rows - want_rows
    extra = sum(extra_rows.values())
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{missing} row{'s' if missing != 1 else ''} missing")
        if extra:
            example = sorted(extra_rows)[0]
            repeated = actual.rows.count(example) > 1 and example in want_rows
            shown = _shown(actual.columns, example)
            parts.append(
                f"{extra} extra row{'s' if extra != 1 else ''} (e.g. {shown}"
                f"{', returned more than once' if repeated else ''})"
            )
        returned = len(actual.rows)
        return [
            f"{', '.join(parts)}; you returned {returned} row{'s' if returned != 1 else ''}, "
            f"{returned - extra} of {'them' if returned != 1 else 'it'} right"
        ]
    if ordered and expected.rows != actual.rows:
        return ["the rows are right but not in the order the task asks for"]
    return []


def _keyed_differences(expected: Result, actual: Result, key: str) -> list[str]:
    index = expected.columns.index(key)

    def by_key(result: Result) -> dict[str, list[Any]]:
        rows = [json.loads(row) for row in result.rows]
        return {json.dumps(row[index]): row for row in rows}

    want, got = by_key(expected), by_key(actual)
    problems = []
    for name, row in got.items():
        if name not in want:
            problems.append(f"{key}={name} is not one the task asks for")
            continue
        wrong = [
            f"{column}={json.dumps(value)}"
            for column, value, right in zip(actual.columns, row, want[name], strict=True)
            if value != right
        ]
        if wrong:
            problems.append(f"{key}={name}: your {', '.join(wrong)} is wrong")
    missing = [name for name in want if name not in got]
    if missing:
        problems.append(f"missing: {', '.join(f'{key}={name}' for name in missing)}")
    return problems


def shared_values(result: Result, source: Result) -> dict[str, list[str]]:
    """For each column of `result`, the columns of `source` whose values it holds (any one
    value, NULL aside): where a result leaks what it should not. Values compare as made plain,
    so a date and its ISO text are the same value, the integer 123 and the text '123' are not."""
    source_rows = [json.loads(row) for row in source.rows]
    source_values = {
        column: {json.dumps(row[i]) for row in source_rows if row[i] is not None}
        for i, column in enumerate(source.columns)
    }
    rows = [json.loads(row) for row in result.rows]
    shared = {}
    for i, column in enumerate(result.columns):
        values = {json.dumps(row[i]) for row in rows if row[i] is not None}
        found = [name for name, held in source_values.items() if values & held]
        if found:
            shared[column] = found
    return shared
