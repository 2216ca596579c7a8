"""Cross-model validation: a generated dataset agrees; a tampered one is caught and counted."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
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


def _copy(dataset: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    return copy


def _tamper(folder: Path, table: str, column: str, change: Callable[[list[Any]], None]) -> None:
    """Rewrite one column of an OMOP table of `folder` after `change` edits its values in place."""
    path = folder / "omop" / f"{table}.parquet"
    rows = pq.read_table(path)
    values = rows.column(column).to_pylist()
    change(values)
    field = rows.schema.field(column)
    rows = rows.set_column(rows.schema.get_field_index(column), field, pa.array(values, field.type))
    pq.write_table(rows, path)


def _drop_first_row(folder: Path, table: str) -> None:
    path = folder / "omop" / f"{table}.parquet"
    pq.write_table(pq.read_table(path).slice(1), path)


def _another_provider(values: list[Any]) -> None:
    values[:2] = [value % 408 + 1 for value in values[:2]]


def test_tampered_concepts_and_dates_are_counted(dataset: Path, tmp_path: Path) -> None:
    copy = _copy(dataset, tmp_path)

    def unmapped(values: list[Any]) -> None:
        values[:3] = [0, 0, 0]

    _tamper(copy, "measurement", "measurement_concept_id", unmapped)
    _drop_first_row(copy, "visit_occurrence")
    mismatches = {r.name: r.mismatches for r in validate(copy)}
    assert (
        mismatches["Observation <-> measurement (ids, person, visit, date, code, value, unit)"] >= 3
    )
    encounter_check = next(name for name in mismatches if name.startswith("Encounter"))
    assert mismatches[encounter_check] == 1
    assert sum(mismatches.values()) >= 4


def test_tampered_event_providers_are_counted(dataset: Path, tmp_path: Path) -> None:
    copy = _copy(dataset, tmp_path)
    _tamper(copy, "drug_exposure", "provider_id", _another_provider)

    def forgotten(values: list[Any]) -> None:
        values[0] = None

    _tamper(copy, "procedure_occurrence", "provider_id", forgotten)
    mismatches = {r.name: r.mismatches for r in validate(copy) if r.mismatches}
    assert mismatches == {
        "Event practitioners <-> event provider_id (diagnoses, measurement, drug, procedure)": 3
    }


def test_cli_exits_non_zero_on_mismatch(dataset: Path, tmp_path: Path) -> None:
    copy = _copy(dataset, tmp_path)
    _drop_first_row(copy, "death")
    result = python_module("generators", "validate", str(copy))
    assert result.returncode == 1
    assert "mismatches" in result.stderr
    ok = python_module("generators", "validate", str(dataset))
    assert ok.returncode == 0, ok.stderr
    assert "0 mismatches" in ok.stdout


def test_a_visit_at_another_clinic_or_provider_is_counted(dataset: Path, tmp_path: Path) -> None:
    copy = _copy(dataset, tmp_path)
    _tamper(copy, "visit_occurrence", "provider_id", _another_provider)
    _drop_first_row(copy, "provider")
    mismatches = {r.name: r.mismatches for r in validate(copy)}
    assert mismatches["Encounter <-> visit_occurrence (provider and care site)"] == 2
    assert mismatches["Practitioner <-> provider (ids, names, gender, year of birth)"] == 1
