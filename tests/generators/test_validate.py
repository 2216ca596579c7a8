"""Cross-model validation: a generated dataset agrees; a tampered one is caught and counted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from generators.config import GeneratorConfig
from generators.output import generate
from generators.validate import validate
from tests.conftest import python_module


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("validate") / "generated"
    generate(GeneratorConfig(patients=400, seed=17, batch_size=150), out)
    return out


def test_generated_dataset_has_no_mismatch(dataset: Path) -> None:
    results = validate(dataset)
    assert len(results) >= 10
    assert all(result.compared > 0 for result in results)
    assert [r.name for r in results if r.mismatches] == []


def test_tampered_concepts_and_dates_are_counted(dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    path = copy / "omop" / "measurement.parquet"
    rows = pq.read_table(path)
    concept = rows.column("measurement_concept_id").to_numpy().copy()
    concept[:3] = 0
    rows = rows.set_column(
        rows.schema.get_field_index("measurement_concept_id"),
        rows.schema.field("measurement_concept_id"),
        pa.array(concept, pa.int32()),
    )
    pq.write_table(rows, path)
    visits = pq.read_table(copy / "omop" / "visit_occurrence.parquet")
    pq.write_table(visits.slice(1), copy / "omop" / "visit_occurrence.parquet")
    mismatches = {r.name: r.mismatches for r in validate(copy)}
    assert (
        mismatches["Observation <-> measurement (ids, person, visit, date, code, value, unit)"] >= 3
    )
    encounter_check = next(name for name in mismatches if name.startswith("Encounter"))
    assert mismatches[encounter_check] == 1
    assert pc.sum(pa.array(list(mismatches.values()))).as_py() >= 4


def test_tampered_event_providers_are_counted(dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    path = copy / "omop" / "drug_exposure.parquet"
    rows = pq.read_table(path)
    provider = rows.column("provider_id").to_numpy().copy()
    provider[:2] = provider[:2] % 408 + 1  # another provider
    rows = rows.set_column(
        rows.schema.get_field_index("provider_id"),
        rows.schema.field("provider_id"),
        pa.array(provider, pa.int32()),
    )
    pq.write_table(rows, path)
    path = copy / "omop" / "procedure_occurrence.parquet"
    rows = pq.read_table(path)
    column = rows.schema.get_field_index("provider_id")
    rows = rows.set_column(
        column,
        rows.schema.field("provider_id"),
        pa.array([None, *rows.column("provider_id").to_pylist()[1:]], pa.int32()),
    )
    pq.write_table(rows, path)
    mismatches = {r.name: r.mismatches for r in validate(copy) if r.mismatches}
    assert mismatches == {
        "Event practitioners <-> event provider_id (diagnoses, measurement, drug, procedure)": 3
    }


def test_cli_exits_non_zero_on_mismatch(dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    death = pq.read_table(copy / "omop" / "death.parquet")
    pq.write_table(death.slice(0, 0), copy / "omop" / "death.parquet")
    result = python_module("generators", "validate", str(copy))
    assert result.returncode == 1
    assert "mismatches" in result.stderr
    ok = python_module("generators", "validate", str(dataset))
    assert ok.returncode == 0, ok.stderr
    assert "0 mismatches" in ok.stdout


def test_a_visit_at_another_clinic_or_provider_is_counted(dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    path = copy / "omop" / "visit_occurrence.parquet"
    visits = pq.read_table(path)
    provider = visits.column("provider_id").to_numpy().copy()
    provider[:2] = provider[:2] % 408 + 1
    visits = visits.set_column(
        visits.schema.get_field_index("provider_id"),
        visits.schema.field("provider_id"),
        pa.array(provider, visits.schema.field("provider_id").type),
    )
    pq.write_table(visits, path)
    providers = pq.read_table(copy / "omop" / "provider.parquet")
    pq.write_table(providers.slice(1), copy / "omop" / "provider.parquet")
    mismatches = {r.name: r.mismatches for r in validate(copy)}
    assert mismatches["Encounter <-> visit_occurrence (provider and care site)"] == 2
    assert mismatches["Practitioner <-> provider (ids, names, gender, year of birth)"] == 1
