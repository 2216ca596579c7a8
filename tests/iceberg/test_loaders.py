"""Loaders against a real SQL catalog: idempotent, atomic, lineage-stamped."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from generators.config import GeneratorConfig
from generators.manifest import read_manifest
from generators.output import generate
from iceberg.catalog import load_catalog
from iceberg.exceptions import (
    CatalogConfigError,
    CatalogMissingError,
    LedgerError,
    SourceFileError,
)
from iceberg.loaders import (
    LEDGER_LOCATION_PROPERTY,
    load_fhir,
    load_generated,
    table_ledger,
)
from iceberg.tables import RUN_ID_PROPERTY


def _rows(catalog: Catalog, identifier: str) -> int:
    return catalog.load_table(identifier).scan().to_arrow().num_rows


def test_generated_dataset_lands_in_bronze_with_lineage(catalog: Catalog, generated: Path) -> None:
    report = load_generated(catalog, generated, "run-1")
    loaded = {r.table: r.rows for r in report.tables}
    # Every manifest entry lands in its own bronze table (the generators write six FHIR types
    # and thirteen OMOP tables); people are one row per patient in both renderings.
    manifest = read_manifest(generated)
    assert len(loaded) == len(manifest["files"])
    assert loaded["bronze.fhir_patient"] == 300
    assert loaded["bronze.omop_person"] == 300
    assert loaded["bronze.fhir_medication_request"] > 0
    patients = catalog.load_table("bronze.fhir_patient").scan().to_arrow()
    assert set(patients.column("pipeline_run_id").to_pylist()) == {"run-1"}
    assert patients.column("source_line").to_pylist()[:3] == [1, 2, 3]
    first = json.loads(patients.column("resource_json")[0].as_py())
    assert patients.column("resource_id")[0].as_py() == first["id"]
    assert patients.column("patient_reference")[0].as_py() == f"Patient/{first['id']}"
    person = catalog.load_table("bronze.omop_person")
    assert person.current_snapshot().summary[RUN_ID_PROPERTY] == "run-1"


def test_reloading_the_same_files_is_skipped(catalog: Catalog, generated: Path) -> None:
    load_generated(catalog, generated, "run-1")
    snapshot = catalog.load_table("bronze.omop_person").current_snapshot().snapshot_id
    report = load_generated(catalog, generated, "run-2")
    assert not report.tables
    assert len(report.skipped) == len(read_manifest(generated)["files"])
    assert all("unchanged since run run-1" in str(f.skipped) for f in report.skipped)
    assert catalog.load_table("bronze.omop_person").current_snapshot().snapshot_id == snapshot


def test_forced_reload_replaces_rows_instead_of_doubling(catalog: Catalog, generated: Path) -> None:
    load_generated(catalog, generated, "run-1")
    load_generated(catalog, generated, "run-2", force=True)
    assert _rows(catalog, "bronze.fhir_patient") == 300
    assert _rows(catalog, "bronze.omop_person") == 300
    runs = catalog.load_table("bronze.omop_person").scan().to_arrow().column("pipeline_run_id")
    assert set(runs.to_pylist()) == {"run-2"}


def test_regenerated_dataset_replaces_the_previous_one(catalog: Catalog, generated: Path) -> None:
    load_generated(catalog, generated, "run-1")
    generate(GeneratorConfig(patients=120, seed=8), generated)
    load_generated(catalog, generated, "run-2")
    assert _rows(catalog, "bronze.fhir_patient") == 120
    assert _rows(catalog, "bronze.omop_person") == 120


def test_other_files_in_the_same_table_are_kept(catalog: Catalog, tmp_path: Path) -> None:
    first = tmp_path / "a.ndjson"
    second = tmp_path / "b.ndjson"
    first.write_text('{"resourceType":"Patient","id":"a1"}\n{"resourceType":"Patient","id":"a2"}\n')
    second.write_text('{"resourceType":"Patient","id":"b1"}\n')
    load_fhir(catalog, [first], "run-1")
    load_fhir(catalog, [second], "run-1")
    assert _rows(catalog, "bronze.fhir_patient") == 3


def test_mixed_types_in_one_file_go_to_their_own_tables(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "mixed.ndjson"
    path.write_text(
        '{"resourceType":"Patient","id":"p1"}\n'
        "\n"
        '{"resourceType":"MedicationRequest","id":"m1","subject":{"reference":"Patient/p1"}}\n'
    )
    report = load_fhir(catalog, [path], "run-1")
    assert {r.table: r.rows for r in report.tables} == {
        "bronze.fhir_medication_request": 1,
        "bronze.fhir_patient": 1,
    }
    request = catalog.load_table("bronze.fhir_medication_request").scan().to_arrow()
    assert request.column("patient_reference").to_pylist() == ["Patient/p1"]
    assert request.column("source_line").to_pylist() == [3]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"resourceType":"Patient","id":"ok"}\n{not json\n', "not JSON"),
        (b'{"resourceType":"Patient","id":"ok"}\n{"resourceType":"Patient"}\n', "no id"),
        (
            b'{"resourceType":"Patient","id":"ok"}\n{"resourceType":"Patient","id":"x","name":"\xff"}\n',
            "not UTF-8",
        ),
    ],
)
def test_bad_line_is_quarantined_and_the_rest_loads(
    catalog: Catalog, tmp_path: Path, content: bytes, reason: str
) -> None:
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(content)
    report = load_fhir(catalog, [bad], "run-1")
    assert _rows(catalog, "bronze.fhir_patient") == 1
    quarantined = catalog.load_table("bronze.quarantine").scan().to_arrow().to_pylist()
    assert len(quarantined) == 1
    assert reason in quarantined[0]["reason"]
    assert quarantined[0]["source_line"] == 2
    assert quarantined[0]["source_file"] == str(bad.resolve())
    assert report.files[0].records == 2 == report.files[0].loaded + report.files[0].quarantined


def test_failing_table_write_touches_no_table(catalog: Catalog, generated: Path) -> None:
    load_generated(catalog, generated, "run-1")
    before = catalog.load_table("bronze.fhir_patient").current_snapshot().snapshot_id
    generate(GeneratorConfig(patients=40, seed=3), generated)
    person = pq.read_table(generated / "omop" / "person.parquet").drop(["race_concept_id"])
    pq.write_table(person, generated / "omop" / "person.parquet")
    with pytest.raises(SourceFileError, match="missing OMOP column"):
        load_generated(catalog, generated, "run-2")
    # The FHIR file was fine, but no table commits before every table's data is written.
    assert catalog.load_table("bronze.fhir_patient").current_snapshot().snapshot_id == before


def test_parquet_missing_a_cdm_column_is_rejected(catalog: Catalog, generated: Path) -> None:
    person = pq.read_table(generated / "omop" / "person.parquet").drop(["race_concept_id"])
    pq.write_table(person, generated / "omop" / "person.parquet")
    with pytest.raises(SourceFileError, match="missing OMOP column"):
        load_generated(catalog, generated, "run-1")


def test_reader_of_a_missing_catalog_is_told_to_load(warehouse: Path) -> None:
    with pytest.raises(CatalogMissingError, match="run 'just load'"):
        load_catalog("local")
    assert not (warehouse / "catalog.db").exists()


def test_unknown_catalog_names_the_known_ones(warehouse: Path) -> None:
    with pytest.raises(CatalogConfigError, match="defines: glue, local, trino"):
        load_catalog("nope")


def test_glue_catalog_names_the_missing_variable(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEALTHLAKE_S3_BUCKET", raising=False)
    with pytest.raises(CatalogConfigError, match="HEALTHLAKE_S3_BUCKET"):
        load_catalog("glue")


# --- The ledger of loaded files ------------------------------------------------------------


def _metadata_bytes(table: Table) -> int:
    with table.io.new_input(table.metadata_location).open() as stream:
        return len(stream.read())


def _one_patient_bundle(folder: Path, number: int) -> None:
    """A Bundle per patient, as Synthea writes them."""
    patient = f"p{number:05d}"
    entries = [
        {"fullUrl": f"urn:uuid:{patient}", "resource": {"resourceType": "Patient", "id": patient}},
        {
            "resource": {
                "resourceType": "Observation",
                "id": f"o{number:05d}",
                "subject": {"reference": f"urn:uuid:{patient}"},
            }
        },
    ]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    (folder / f"{patient}.json").write_text(json.dumps(bundle))


def test_many_files_keep_the_table_metadata_small(catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "synthea"
    folder.mkdir()
    for number in range(300):
        _one_patient_bundle(folder, number)
    load_fhir(catalog, [folder / "p00000.json"], "run-1")
    one_file = _metadata_bytes(catalog.load_table("bronze.fhir_patient"))
    report = load_fhir(catalog, [folder], "run-2")
    assert {t.table: t.rows for t in report.tables} == {
        "bronze.fhir_observation": 299,
        "bronze.fhir_patient": 299,
    }
    for name in ("fhir_patient", "fhir_observation"):
        table = catalog.load_table(f"bronze.{name}")
        assert len(table_ledger(table)) == 300
        # One short location in the metadata, however many files the table holds ...
        location = table.properties[LEDGER_LOCATION_PROPERTY]
        assert location.startswith(table.location()) and "/metadata/" in location
        assert max(len(value) for value in table.properties.values()) < 300
    # ... so the metadata grew by the second commit's snapshots only, not by 299 files' entries
    # (the JSON ledger added ~180 bytes per file: ~54 KB here).
    three_hundred_files = _metadata_bytes(catalog.load_table("bronze.fhir_patient"))
    assert three_hundred_files - one_file < 4096
    snapshot = catalog.load_table("bronze.fhir_patient").current_snapshot()
    again = load_fhir(catalog, [folder], "run-3")
    assert len(again.skipped) == 300 and not again.tables
    assert all(f.skipped == "unchanged since run run-1 loaded it" for f in again.skipped[:1])
    assert all(f.skipped == "unchanged since run run-2 loaded it" for f in again.skipped[1:])
    assert catalog.load_table("bronze.fhir_patient").current_snapshot() == snapshot


def test_an_unreadable_ledger_file_is_named(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    path.write_text('{"resourceType":"Patient","id":"a"}\n')
    load_fhir(catalog, [path], "run-1")
    location = catalog.load_table("bronze.fhir_patient").properties[LEDGER_LOCATION_PROPERTY]
    Path(location.removeprefix("file://")).unlink()
    with pytest.raises(LedgerError, match=r"bronze\.fhir_patient: its ledger of loaded files"):
        load_fhir(catalog, [path], "run-2")
