"""The generator command line: counts and paths are validated with one-line errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generators import output
from generators.config import MAX_PATIENTS, GeneratorConfig
from generators.population import Continuation
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


@pytest.mark.parametrize("count", ["10_000_001", "1000000000000"])
def test_a_patient_count_over_the_maximum_is_refused_before_any_work(
    count: str, tmp_path: Path
) -> None:
    result = python_module("generators", "generate", count, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"patient count must be at most {MAX_PATIENTS:,} (MAX_PATIENTS" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_bench_sizes_over_the_maximum_are_refused(tmp_path: Path) -> None:
    result = python_module("generators", "bench", "100", "20000000", "--work-dir", str(tmp_path))
    assert result.returncode == 2
    assert "at most 10,000,000" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_config_file_over_the_maximum_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "big.yaml"
    config.write_text("patients: 10000001\n")
    result = python_module(
        "generators", "generate", "--config", str(config), "--out", str(tmp_path / "out")
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "patients" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", ["--out", "--config"])
def test_an_empty_path_is_refused(option: str, tmp_path: Path) -> None:
    # `--out ""` was Path(".") resolved: the current folder, replaced by the dataset.
    result = python_module("generators", "generate", "5", option, "")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"argument {option}: '' is an empty path" in result.stderr


@pytest.mark.parametrize(
    "arguments", [[], ["bogus"], ["generate", "--nope"], ["validate", "a", "b"]]
)
def test_usage_errors_are_one_line(arguments: list[str]) -> None:
    result = python_module("generators", *arguments)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: python -m generators")


def _dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_stale_staging_folders_of_killed_runs_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "g"
    dead = _dead_pid()
    stale = tmp_path / f".g.staging-{dead}-abc123"
    (stale / "fhir").mkdir(parents=True)
    (stale / "fhir" / "Patient.ndjson").write_bytes(b"x" * 1000)
    retired = tmp_path / f".g.retired-{dead}"
    retired.mkdir()
    (retired / "manifest.json").write_bytes(b"{}")
    # This test's own process is alive: a generate running now must keep its folder.
    running = tmp_path / f".g.staging-{os.getpid()}-def456"
    running.mkdir()
    unrelated = tmp_path / ".other.staging-1-x"
    unrelated.mkdir()
    result = python_module("generators", "generate", "5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (
        f"removed 2 stale staging folder(s) (1,002 bytes) of killed generate runs beside {tmp_path}"
        in result.stdout.splitlines()
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["g", running.name, unrelated.name])
    again = python_module("generators", "generate", "5", "--out", str(out))
    assert "removed" not in again.stdout


def test_staging_folders_carry_the_owner_pid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = output._write_dataset

    def spy(
        config: GeneratorConfig,
        folder: Path,
        selection: output.Selection,
        start: Continuation | None,
    ) -> dict[str, Any]:
        seen.append(folder.name)
        return real(config, folder, selection, start)

    monkeypatch.setattr(output, "_write_dataset", spy)
    output.generate(GeneratorConfig(patients=5), tmp_path / "g")
    assert len(seen) == 1
    assert seen[0].startswith(f".g.staging-{os.getpid()}-")
