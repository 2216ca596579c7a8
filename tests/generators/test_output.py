"""The generated dataset: determinism, atomic output, manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from generators.config import GeneratorConfig
from generators.exceptions import OutputError
from generators.manifest import read_manifest
from generators.output import OMOP_RENDERERS, generate
from generators.population import Continuation, draw_batch


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_same_seed_gives_byte_identical_output(tmp_path: Path) -> None:
    config = GeneratorConfig(patients=500, seed=11, batch_size=200)
    generate(config, tmp_path / "a")
    generate(config, tmp_path / "b")
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")


def test_other_seed_gives_other_people(tmp_path: Path) -> None:
    generate(GeneratorConfig(patients=200, seed=1), tmp_path / "a")
    generate(GeneratorConfig(patients=200, seed=2), tmp_path / "b")
    a = (tmp_path / "a" / "fhir" / "Patient.ndjson").read_text()
    b = (tmp_path / "b" / "fhir" / "Patient.ndjson").read_text()
    assert a != b


def test_manifest_lists_every_file_with_rows_and_hash(generated: Path) -> None:
    manifest = read_manifest(generated)
    assert manifest["patients"] == 300
    for entry in manifest["files"]:
        path = generated / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    rows = {entry["path"]: entry["rows"] for entry in manifest["files"]}
    assert rows["fhir/Patient.ndjson"] == 300
    assert pq.read_metadata(generated / "omop" / "person.parquet").num_rows == 300
    assert len((generated / "fhir" / "Patient.ndjson").read_text().splitlines()) == 300


def test_batches_are_independent_of_earlier_batches() -> None:
    config = GeneratorConfig(patients=1000, seed=5, batch_size=300)
    last = draw_batch(config, 3)
    assert len(last) == 100
    assert last.person_id[0] == 901
    again = draw_batch(config, 3)
    assert list(last.patient_uuid) == list(again.patient_uuid)


def test_regenerating_replaces_the_dataset_whole(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    generate(GeneratorConfig(patients=100, seed=1), out)
    generate(GeneratorConfig(patients=50, seed=2), out)
    assert read_manifest(out)["patients"] == 50
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "generated"]
    assert leftovers == []


def test_interrupted_generation_keeps_the_previous_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "generated"
    generate(GeneratorConfig(patients=100, seed=1), out)
    before = _tree_digest(out)

    def explode(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setitem(OMOP_RENDERERS, "person", explode)
    with pytest.raises(KeyboardInterrupt):
        generate(GeneratorConfig(patients=100, seed=2), out)
    assert _tree_digest(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["generated"]


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="choose a writable --out folder"):
        generate(GeneratorConfig(patients=10), blocker / "generated")


def test_missing_manifest_says_to_generate(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="run 'just generate' first"):
        read_manifest(tmp_path)


def test_manifest_is_json_with_the_config(generated: Path) -> None:
    manifest = json.loads((generated / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert manifest["reference_date"] == "2025-01-01"


def test_memory_is_bounded_by_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream draws and writes one batch at a time; no batch exceeds batch_size."""
    import generators.output as output
    from generators import population

    seen: list[int] = []
    drawn = population.draw_population

    def counting(config: GeneratorConfig, start: Continuation | None):  # type: ignore[no-untyped-def]
        for batch in drawn(config, start):
            seen.append(len(batch))
            yield batch

    monkeypatch.setattr(output, "draw_population", counting)
    manifest = generate(GeneratorConfig(patients=250, seed=3, batch_size=60), tmp_path / "g")
    assert seen == [60, 60, 60, 60, 10]
    person = pq.ParquetFile(tmp_path / "g" / "omop" / "person.parquet")
    # One Parquet row group per batch: rows were written as each batch was rendered.
    assert [person.metadata.row_group(i).num_rows for i in range(person.num_row_groups)] == seen
    assert {e["rows"] for e in manifest["files"] if e["path"] == "fhir/Patient.ndjson"} == {250}


@pytest.mark.slow
def test_generation_scales_and_validates(tmp_path: Path) -> None:
    """Scale check (size from HEALTHLAKE_SCALE_PATIENTS, small by default); never timed."""
    import os

    from generators.validate import validate

    patients = int(os.environ.get("HEALTHLAKE_SCALE_PATIENTS", "3000"))
    config = GeneratorConfig(patients=patients, seed=99, batch_size=max(1000, patients // 4))
    generate(config, tmp_path / "g")
    assert [r.name for r in validate(tmp_path / "g") if r.mismatches] == []


def test_a_people_only_dataset_has_the_same_people_bytes(tmp_path: Path) -> None:
    """`--only Patient,person,death,observation_period` skips the events, not the people: the
    files are byte-identical to the same files of a full dataset."""
    config = GeneratorConfig(patients=700, seed=9, batch_size=250)
    full = generate(config, tmp_path / "full")
    people = generate(
        config, tmp_path / "people", ("Patient", "person", "death", "observation_period")
    )
    full_hashes = {entry["path"]: entry["sha256"] for entry in full["files"]}
    people_hashes = {entry["path"]: entry["sha256"] for entry in people["files"]}
    assert sorted(people_hashes) == [
        "fhir/Patient.ndjson",
        "omop/death.parquet",
        "omop/observation_period.parquet",
        "omop/person.parquet",
    ]
    assert {path: full_hashes[path] for path in people_hashes} == people_hashes


def test_selected_streams_with_events_draw_the_whole_population(tmp_path: Path) -> None:
    config = GeneratorConfig(patients=300, seed=4, batch_size=100)
    full = generate(config, tmp_path / "full")
    some = generate(config, tmp_path / "some", ("Encounter", "omop"))
    full_hashes = {entry["path"]: entry["sha256"] for entry in full["files"]}
    some_hashes = {entry["path"]: entry["sha256"] for entry in some["files"]}
    assert "fhir/Encounter.ndjson" in some_hashes
    assert "fhir/Patient.ndjson" not in some_hashes
    assert len(some_hashes) == 1 + len(OMOP_RENDERERS) + 4  # + world tables
    assert {path: full_hashes[path] for path in some_hashes} == some_hashes


def test_unknown_stream_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"cannot write Patients: choose renderings"):
        generate(GeneratorConfig(patients=10), tmp_path / "x", ("Patients",))
    assert not (tmp_path / "x").exists()
