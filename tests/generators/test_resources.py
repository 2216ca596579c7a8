"""Every FHIR resource type validates against the FHIR models and follows the linkage contract."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure

from generators import terminology
from generators.config import GeneratorConfig
from generators.output import FHIR_RENDERERS, FHIR_WORLD_RENDERERS
from generators.population import PeopleBatch, draw_batch

# fhir.resources ships R4B (4.3) and R5 models, not R4 (4.0.1); for these six resources R4B has
# the elements R4 has, so it is the closest validator the package offers.
MODELS = {
    "Patient": Patient,
    "Encounter": Encounter,
    "Condition": Condition,
    "Observation": Observation,
    "MedicationRequest": MedicationRequest,
    "Procedure": Procedure,
}
CONFIG = GeneratorConfig(patients=600, seed=21, batch_size=600)
STANDARD_SYSTEMS = {terminology.SNOMED, terminology.LOINC, terminology.RXNORM}


@pytest.fixture(scope="module")
def batch() -> PeopleBatch:
    return draw_batch(CONFIG, 0)


@pytest.fixture(scope="module")
def resources(batch: PeopleBatch) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [json.loads(line) for line in render(batch, CONFIG).to_pylist()]
        for name, render in FHIR_RENDERERS.items()
    }


def test_every_type_is_rendered(resources: dict[str, list[dict[str, Any]]]) -> None:
    assert set(resources) == set(MODELS)
    for name, rows in resources.items():
        assert rows, f"no {name} resources in a batch of {CONFIG.patients}"
        assert {row["resourceType"] for row in rows} == {name}


@pytest.mark.parametrize("resource_type", list(MODELS))
def test_a_sample_of_every_type_validates(
    resource_type: str, batch: PeopleBatch, resources: dict[str, list[dict[str, Any]]]
) -> None:
    lines = FHIR_RENDERERS[resource_type](batch, CONFIG).to_pylist()
    step = max(1, len(lines) // 150)
    for line in lines[::step]:
        MODELS[resource_type].model_validate_json(line)


def test_every_resource_has_meta_and_a_subject(
    resources: dict[str, list[dict[str, Any]]],
) -> None:
    patient_ids = {row["id"] for row in resources["Patient"]}
    for name, rows in resources.items():
        for row in rows:
            assert row["meta"]["lastUpdated"] == "2025-01-01T00:00:00Z"
            if name != "Patient":
                reference = row["subject"]["reference"]
                assert reference.startswith("Patient/")
                assert reference.removeprefix("Patient/") in patient_ids


def test_clinical_resources_reference_their_encounter(
    resources: dict[str, list[dict[str, Any]]],
) -> None:
    encounter_ids = {row["id"] for row in resources["Encounter"]}
    for name in ("Condition", "Observation", "MedicationRequest", "Procedure"):
        for row in resources[name]:
            assert row["encounter"]["reference"].removeprefix("Encounter/") in encounter_ids


@pytest.mark.parametrize(
    ("resource_type", "tables"),
    [
        ("Patient", {"person"}),
        ("Encounter", {"visit_occurrence"}),
        ("Condition", {"condition_occurrence", "observation"}),
        ("Observation", {"measurement"}),
        ("MedicationRequest", {"drug_exposure"}),
        ("Procedure", {"procedure_occurrence"}),
    ],
)
def test_omop_ids_are_carried_as_identifiers(
    resource_type: str, tables: set[str], resources: dict[str, list[dict[str, Any]]]
) -> None:
    systems = {terminology.omop_id_system(table) for table in tables}
    for row in resources[resource_type]:
        identifier = row["identifier"][0]
        assert identifier["system"] in systems
        assert int(identifier["value"]) > 0


def test_identifier_systems_are_the_contract() -> None:
    base = "http://healthlake.example.org/fhir/sid/omop-"
    assert terminology.omop_id_system("person") == base + "person-id"
    assert terminology.omop_id_system("visit_occurrence") == base + "visit-occurrence-id"
    assert terminology.omop_id_system("condition_occurrence") == base + "condition-occurrence-id"
    assert terminology.omop_id_system("measurement") == base + "measurement-id"
    assert terminology.omop_id_system("observation") == base + "observation-id"
    assert terminology.omop_id_system("drug_exposure") == base + "drug-exposure-id"
    assert terminology.omop_id_system("procedure_occurrence") == base + "procedure-occurrence-id"


def test_codings_use_standard_systems_and_ucum_quantities(
    resources: dict[str, list[dict[str, Any]]],
) -> None:
    for name, key in (
        ("Condition", "code"),
        ("Observation", "code"),
        ("Procedure", "code"),
        ("MedicationRequest", "medicationCodeableConcept"),
    ):
        for row in resources[name]:
            assert row[key]["coding"][0]["system"] in STANDARD_SYSTEMS
    for row in resources["Observation"]:
        quantities = [c["valueQuantity"] for c in row.get("component", [])] or [
            row["valueQuantity"]
        ]
        for quantity in quantities:
            assert quantity["system"] == terminology.UCUM
            assert quantity["code"] == quantity["unit"]
    classes = {row["class"]["code"] for row in resources["Encounter"]}
    assert classes <= {"AMB", "EMER", "IMP"}
    assert "AMB" in classes


def test_blood_pressure_has_two_components_and_two_ids(
    resources: dict[str, list[dict[str, Any]]],
) -> None:
    pressures = [
        row for row in resources["Observation"] if row["code"]["coding"][0]["code"] == "55284-4"
    ]
    assert pressures
    for row in pressures:
        codes = [c["code"]["coding"][0]["code"] for c in row["component"]]
        assert codes == ["8480-6", "8462-4"]
        ids = [int(i["value"]) for i in row["identifier"]]
        assert ids[1] == ids[0] + 1
        systolic, diastolic = (c["valueQuantity"]["value"] for c in row["component"])
        assert diastolic < systolic


@pytest.fixture(scope="module")
def world_resources() -> dict[str, list[dict[str, Any]]]:
    return {
        name: [json.loads(line) for line in render(CONFIG, "").to_pylist()]
        for name, render in FHIR_WORLD_RENDERERS.items()
    }


def test_organizations_and_practitioners_validate(
    world_resources: dict[str, list[dict[str, Any]]],
) -> None:
    models = {"Organization": Organization, "Practitioner": Practitioner}
    assert set(world_resources) == set(models)
    for name, rows in world_resources.items():
        assert len({row["id"] for row in rows}) == len(rows) > 0
        for row in rows:
            models[name].model_validate(row)


def test_encounters_name_a_practitioner_and_organization_that_exist(
    resources: dict[str, list[dict[str, Any]]],
    world_resources: dict[str, list[dict[str, Any]]],
) -> None:
    ids = {
        name: {f"{name}/{row['id']}": row for row in rows} for name, rows in world_resources.items()
    }
    for encounter in resources["Encounter"]:
        individual = encounter["participant"][0]["individual"]
        practitioner = ids["Practitioner"][individual["reference"]]
        assert individual["identifier"] == practitioner["identifier"][0]
        name = practitioner["name"][0]
        assert individual["display"] == f"Dr. {name['given'][0]} {name['family']}"
        provider = encounter["serviceProvider"]
        organization = ids["Organization"][provider["reference"]]
        assert provider["identifier"] == organization["identifier"][0]
        assert provider["display"] == organization["name"]
