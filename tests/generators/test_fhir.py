"""FHIR rendering: every line is a valid FHIR Patient and describes the drawn person."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fhir.resources.R4B.patient import Patient

from generators.config import GeneratorConfig
from generators.fhir import PERSON_ID_SYSTEM, render_patients
from generators.population import draw_batch

# fhir.resources ships R4B (4.3) and R5 models, not R4 (4.0.1); R4B's Patient has the same
# elements as R4's, so it is the closest validator the package offers.
CONFIG = GeneratorConfig(patients=400, seed=3)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return render_patients(draw_batch(CONFIG, 0), CONFIG).to_pylist()


def test_every_line_is_a_valid_fhir_patient(lines: list[str]) -> None:
    for line in lines:
        patient = Patient.model_validate_json(line)
        assert patient.id


def test_lines_are_one_json_object_each(lines: list[str]) -> None:
    for line in lines:
        assert "\n" not in line
        assert json.loads(line)["resourceType"] == "Patient"


def test_patients_carry_their_omop_person_id(lines: list[str]) -> None:
    batch = draw_batch(CONFIG, 0)
    for line, person_id, uuid in zip(lines, batch.person_id, batch.patient_uuid, strict=True):
        resource = json.loads(line)
        assert resource["id"] == uuid
        identifiers = {i["system"]: i["value"] for i in resource["identifier"]}
        assert identifiers[PERSON_ID_SYSTEM] == str(person_id)


def test_birth_dates_are_before_the_reference_date(lines: list[str]) -> None:
    for line in lines:
        born = date.fromisoformat(json.loads(line)["birthDate"])
        assert born <= CONFIG.reference_date
        assert born.year > CONFIG.reference_date.year - 101


def test_ids_are_unique(lines: list[str]) -> None:
    ids = [json.loads(line)["id"] for line in lines]
    assert len(set(ids)) == len(ids)


def test_both_sexes_and_several_races_appear(lines: list[str]) -> None:
    resources = [json.loads(line) for line in lines]
    assert {r["gender"] for r in resources} == {"male", "female"}
    races = {r["extension"][0]["extension"][0]["valueCoding"]["code"] for r in resources}
    assert len(races) >= 3
