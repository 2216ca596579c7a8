"""`just bench-pipeline`: every stage of the pipeline runs and is measured, and the incremental
batch (the population's next patients) builds beside the first load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import JUST, one_line_error, query_lakehouse, run

STAGES = [
    "generate",
    "load",
    "build",
    "build_no_change",
    "generate_incremental",
    "load_incremental",
    "build_incremental",
]


@pytest.mark.dbt
def test_every_stage_is_measured_and_the_incremental_batch_builds(tmp_path: Path) -> None:
    figures_file = tmp_path / "figures.json"
    work = tmp_path / "work"
    result = run(
        [*JUST, "bench-pipeline", "200", "--json", str(figures_file), "--work-dir", str(work),
         "--keep"]
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    assert [row["stage"] for row in figures] == STAGES
    for row in figures:
        assert row["patients"] == 200
        assert row["wall_s"] > 0 and row["peak_rss_mb"] > 0, row
    build = figures[2]
    assert build["lakehouse_bytes"] > 0 and build["iceberg_bytes"] > 0
    assert figures[-1]["iceberg_bytes"] > build["iceberg_bytes"]
    # 200 patients, then the next 2 of the same population: one population of 202 in the CDM,
    # no person twice (their ids continue the first load's).
    database = work / "200" / "lakehouse.duckdb"
    assert query_lakehouse(
        database, "select count(*), count(distinct person_id) from omop.person"
    ) == [["202", "202"]]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bench-pipeline on ")
    assert sum(1 for line in lines if line.split()[:1] == ["200"]) == len(STAGES)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["12345"], "size 12,345: above 10,000 patients a size must be whole batches"),
        (["0"], "patient count must be a positive integer"),
        (["ten"], "patient count must be a positive integer"),
    ],
)
def test_bad_sizes_are_refused_before_any_work(
    tmp_path: Path, arguments: list[str], expected: str
) -> None:
    result = run([*JUST, "bench-pipeline", *arguments, "--work-dir", str(tmp_path / "w")])
    one_line_error(result, expected)
    assert not (tmp_path / "w").exists()


def test_a_json_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    result = run([*JUST, "bench-pipeline", "100", "--json", str(tmp_path)])
    one_line_error(result, "is a folder; name a file")


def test_a_json_path_in_a_missing_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    result = run(
        [
            *JUST,
            "bench-pipeline",
            "100",
            "--json",
            str(tmp_path / "no-such-folder" / "figures.json"),
            "--work-dir",
            str(tmp_path / "w"),
        ]
    )
    one_line_error(result, "does not exist; create it")
    assert not (tmp_path / "w").exists()
