"""A Synthea-shaped export (transaction Bundles: patients, `practitionerInformation`,
`hospitalInformation`) names practitioners and organizations by conditional reference
(`Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|...`): each resource is one provider or
care site, named as the resource names it, and every visit points at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, ingest_and_build
from tests.conftest import query_lakehouse as _query
from tests.dbt_project.event_providers import EVENT_PROVIDERS, ORPHAN_PROVIDERS

pytestmark = pytest.mark.dbt

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "fhir" / "synthea_like"
TERESE = "b0a8e7f4-4a8c-3f3e-9c1b-5a6d7e8f9a01"  # NPI 9999998479
JIMMIE = "c1b9f805-5b9d-3040-ad2c-6b7e8f90ab12"  # NPI 9999997588
ELLA = "d2ca0916-6cae-3151-be3d-7c8f90a1bc23"  # referenced by no encounter
ST_PATRICKS = "602404f0-064c-34d0-bb51-1d024bd51bc0"  # its Synthea identifier is its id
PCP = "8ad64ecf-c817-3753-bee7-006a8e662e06"  # its Synthea identifier is not its id


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthea_like")
    database, _, (report,) = ingest_and_build(root, "synthea-like-run", [[FIXTURE]])
    assert not report.quarantined_by_type, report.lines()
    return database


def test_one_provider_per_practitioner_named_by_the_resource(built: Path) -> None:
    rows = _query(
        built,
        "select provider_source_value, provider_name, npi from omop.provider order by 1",
    )
    assert rows == [
        [TERESE, "Terese90 Marquardt819", "9999998479"],
        [JIMMIE, "Jimmie93 Harris789", "9999997588"],
        [ELLA, "Ella8 Walsh511", "9999996001"],
    ]


def test_one_care_site_per_organization_named_by_the_resource(built: Path) -> None:
    rows = _query(
        built,
        "select care_site_source_value, care_site_name, location_id is not null "
        "from omop.care_site order by 1",
    )
    # The DuckDB shell's CSV quotes a value holding an apostrophe.
    rows = [[source, name.strip('"'), has_location] for source, name, has_location in rows]
    assert rows == [
        [ST_PATRICKS, "ST PATRICK'S MANOR", "true"],
        [PCP, "PCP128586", "true"],
    ]


def test_every_visit_points_at_the_resolved_resources(built: Path) -> None:
    rows = _query(
        built,
        "select visits.source_key, provider.provider_source_value, "
        "care_site.care_site_source_value "
        "from omop.visit_occurrence "
        "inner join silver.int_omop_id_map as visits "
        "on visits.omop_table = 'visit_occurrence' "
        "and visits.omop_id = visit_occurrence.visit_occurrence_id "
        "left join omop.provider "
        "on visit_occurrence.provider_id = provider.provider_id "
        "left join omop.care_site "
        "on visit_occurrence.care_site_id = care_site.care_site_id order by 1",
    )
    assert rows == [
        ["Encounter/a2f8e3d5-2a3c-4d4e-9fa0-1b2c3d4e5f62", TERESE, PCP],
        ["Encounter/a3a9f4e6-3b4d-4e5f-a0b1-2c3d4e5f6a73", JIMMIE, ST_PATRICKS],
        ["Encounter/a4baa5f7-4c5e-4f60-b1c2-3d4e5f6a7b84", TERESE, PCP],
        ["Encounter/b2a9f4e6-3b4d-4e5f-a0b1-2c3d4e5f6a88", JIMMIE, ST_PATRICKS],
    ]


def test_references_resolve_by_identifier(built: Path) -> None:
    rows = _query(
        built,
        "select practitioner_resolved_by, service_provider_resolved_by, count(*) "
        "from silver.int_fhir_encounter_references_resolved group by all",
    )
    assert rows == [["identifier_match", "identifier_match", "4"]]


def test_no_resource_is_lost(built: Path) -> None:
    rows = _query(
        built,
        "select resource_type, resources_in_silver, resources_in_omop, resources_lost, "
        "is_reconciled from ops.fhir_omop_reconciliation order by 1",
    )
    assert rows == [
        ["Condition", "1", "1", "0", "true"],
        ["Encounter", "4", "4", "0", "true"],
        ["MedicationRequest", "1", "1", "0", "true"],
        ["Observation", "1", "1", "0", "true"],
        ["Patient", "2", "2", "0", "true"],
    ]


def test_a_conditional_requester_is_the_events_provider(built: Path) -> None:
    rows = _query(
        built,
        "select resource_type, resolved_by, referenced_id "
        "from silver.int_fhir_references_resolved where resource_type <> 'Encounter' order by 1",
    )
    # Synthea names the prescriber as it names the encounter's practitioner, by NPI.
    assert rows == [
        ["Condition", "NULL", "NULL"],
        ["MedicationRequest", "identifier_match", TERESE],
        ["Observation", "NULL", "NULL"],
    ]
    providers = _query(built, EVENT_PROVIDERS)
    # The prescription's own requester; the condition and observation take their visit's.
    assert [key.split("/")[0] for key, _ in providers] == [
        "Condition",
        "MedicationRequest",
        "Observation",
    ]
    assert {provider for _, provider in providers} == {TERESE}
    assert all(count == "0" for _, count in _query(built, ORPHAN_PROVIDERS))
