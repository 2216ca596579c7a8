"""The lakehouse command line meets odd input with one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import one_line_error, python_module


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        ([], "the following arguments are required: command"),
        (["summary", "--elapsed", "soon"], "argument --elapsed: invalid float value: 'soon'"),
        (["build", "duckdb", "extra"], "unrecognized arguments: extra"),
    ],
)
def test_usage_errors_are_one_line(warehouse: Path, arguments: list[str], expected: str) -> None:
    one_line_error(python_module("lakehouse", *arguments), expected, "see 'python -m lakehouse")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["build", "spark"], "unknown target 'spark'; use duckdb, trino or athena"),
        (["build", "duckdb", "--target", "athena"], "two targets given (duckdb, athena)"),
        (["build"], "no Iceberg catalog at"),
    ],
)
def test_a_build_that_cannot_start_is_one_line(
    warehouse: Path, arguments: list[str], expected: str
) -> None:
    one_line_error(python_module("lakehouse", *arguments), expected)
    assert not (warehouse / "lakehouse.duckdb").exists()


def test_summary_before_any_build_says_to_build(warehouse: Path) -> None:
    result = python_module("lakehouse", "summary")
    one_line_error(result, f"no lakehouse at {warehouse / 'lakehouse.duckdb'}", "just build")


def test_bench_bronze_sizes_are_checked_first() -> None:
    result = python_module("lakehouse.bench", "10_000", "x")
    one_line_error(result, "patient count must be a positive integer, got 'x'")
    result = python_module("lakehouse.bench", "--bundle-files")
    one_line_error(result, "--bundle-files")
    result = python_module("lakehouse.bench", "20000000")
    one_line_error(result, "at most 10,000,000")
