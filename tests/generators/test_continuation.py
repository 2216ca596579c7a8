"""`generate N --after FOLDER`: the next people of an earlier dataset's population, so that the
two loaded together are one population (the incremental batch of `just bench-pipeline`)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from generators.config import GeneratorConfig
from generators.manifest import MANIFEST
from generators.output import continue_after, generate
from tests.conftest import one_line_error, python_module

WORLD_FILES = {
    "fhir/Organization.ndjson",
    "fhir/Practitioner.ndjson",
    "omop/care_site.parquet",
    "omop/provider.parquet",
    "omop/location.parquet",
    "omop/cdm_source.parquet",
}


def _files(folder: Path) -> set[str]:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return {entry["path"] for entry in manifest["files"]}


def test_a_dataset_and_its_continuation_are_the_population_of_both_sizes(tmp_path: Path) -> None:
    whole, first, more = tmp_path / "whole", tmp_path / "first", tmp_path / "more"
    generate(GeneratorConfig(patients=300, seed=9, batch_size=100), whole)
    generate(GeneratorConfig(patients=200, seed=9, batch_size=100), first)
    config, start = continue_after(
        first,
        GeneratorConfig(patients=100, seed=9),
        more,
        seed_given=False,
        reference_date_given=False,
    )
    manifest = generate(config, more, start=start)
    assert (manifest["patients"], manifest["first_patient"]) == (100, 200)
    # The world (providers, care sites, locations, the CDM source row) is the earlier
    # dataset's: not written again.
    assert _files(more) == _files(whole) - WORLD_FILES
    for path in sorted(_files(more)):
        if path.endswith(".ndjson"):
            joined = (first / path).read_bytes() + (more / path).read_bytes()
            assert joined == (whole / path).read_bytes(), path
        else:
            rows = pq.read_table(first / path).to_pylist() + pq.read_table(more / path).to_pylist()
            assert rows == pq.read_table(whole / path).to_pylist(), path
    assert manifest["next_ids"] == json.loads((whole / MANIFEST).read_text())["next_ids"]


def test_continuations_chain(tmp_path: Path) -> None:
    generate(GeneratorConfig(patients=100, seed=4, batch_size=50), tmp_path / "a")
    for earlier, later in (("a", "b"), ("b", "c")):
        result = python_module(
            "generators", "generate", "50", "--after", str(tmp_path / earlier),
            "--out", str(tmp_path / later),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    assert "after 150 in" in result.stdout
    person_ids = [
        row["person_id"]
        for name in "abc"
        for row in pq.read_table(tmp_path / name / "omop" / "person.parquet").to_pylist()
    ]
    assert person_ids == list(range(1, 201))


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["50", "8"], "seed 4, not 8; leave the seed out"),
        (["50", "--reference-date", "2020-01-01"], "leave --reference-date out"),
    ],
)
def test_a_setting_that_contradicts_the_earlier_dataset_is_refused(
    tmp_path: Path, arguments: list[str], expected: str
) -> None:
    generate(GeneratorConfig(patients=100, seed=4, batch_size=50), tmp_path / "a")
    result = python_module(
        "generators", "generate", *arguments, "--after", str(tmp_path / "a"),
        "--out", str(tmp_path / "b"),
    )  # fmt: skip
    one_line_error(result, expected)
    assert not (tmp_path / "b").exists()


def test_a_dataset_of_a_partial_batch_cannot_be_continued(tmp_path: Path) -> None:
    generate(GeneratorConfig(patients=120, seed=4, batch_size=50), tmp_path / "a")
    result = python_module(
        "generators", "generate", "10", "--after", str(tmp_path / "a"), "--out", str(tmp_path / "b")
    )
    one_line_error(result, "holds 120 patients, not whole batches of 50")


def test_a_people_only_dataset_cannot_be_continued(tmp_path: Path) -> None:
    generate(GeneratorConfig(patients=100, seed=4, batch_size=50), tmp_path / "a", ["Patient"])
    result = python_module(
        "generators", "generate", "10", "--after", str(tmp_path / "a"), "--out", str(tmp_path / "b")
    )
    one_line_error(result, "does not say which ids it used")


def test_the_earlier_folder_cannot_be_the_output(tmp_path: Path) -> None:
    generate(GeneratorConfig(patients=100, seed=4, batch_size=50), tmp_path / "a")
    result = python_module(
        "generators", "generate", "10", "--after", str(tmp_path / "a"), "--out", str(tmp_path / "a")
    )
    one_line_error(result, "is also the --out folder")
    assert (tmp_path / "a" / MANIFEST).exists()


def test_no_dataset_to_follow_is_one_line(tmp_path: Path) -> None:
    result = python_module(
        "generators", "generate", "10", "--after", str(tmp_path / "nothing"),
        "--out", str(tmp_path / "b"),
    )  # fmt: skip
    one_line_error(result, "no generated dataset at", "run 'just generate' first")
