"""The generator command line: counts are validated with one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import python_module


@pytest.mark.parametrize("count", ["abc", "0", "-5", "1.5", ""])
def test_bad_patient_count_is_one_line_error(count: str, tmp_path: Path) -> None:
    result = python_module("generators", "generate", count, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "patient count must be a positive integer" in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_reference_date_is_one_line_error(tmp_path: Path) -> None:
    result = python_module(
        "generators", "generate", "10", "--reference-date", "2025-13-01", "--out", str(tmp_path)
    )
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr


def test_generate_prints_what_it_wrote(tmp_path: Path) -> None:
    result = python_module("generators", "generate", "25", "3", "--out", str(tmp_path / "g"))
    assert result.returncode == 0, result.stderr
    assert "generated 25 patients (seed 3)" in result.stdout
    assert (tmp_path / "g" / "manifest.json").is_file()


def test_only_writes_the_named_streams(tmp_path: Path) -> None:
    result = python_module(
        "generators", "generate", "40", "--only", "Patient, person", "--out", str(tmp_path / "g")
    )
    assert result.returncode == 0, result.stderr
    written = sorted(p.relative_to(tmp_path / "g").as_posix() for p in tmp_path.rglob("*.*"))
    assert written == ["fhir/Patient.ndjson", "manifest.json", "omop/person.parquet"]


def test_only_with_an_unknown_name_is_one_line_error(tmp_path: Path) -> None:
    result = python_module(
        "generators", "generate", "10", "--only", "fhir,bogus", "--out", str(tmp_path / "g")
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "cannot write bogus" in result.stderr
    assert not (tmp_path / "g").exists()
