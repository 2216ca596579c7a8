"""Real exports of other producers (tests/fixtures/fhir/real_world/, each folder's README says
where it comes from) ingest and build a complete OMOP CDM, with every resource mapped, set aside
with a reason, or counted as not modelled. Each builds in its own warehouse, as a user's would.

The figures are the producers' data as it is: a change that moves one of them is a change in
what users get from that producer, and should be looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import REPO_ROOT, ingest_and_build
from tests.conftest import query_lakehouse as _query
from views import definition
from views.definition import Select

pytestmark = pytest.mark.dbt

REAL_WORLD = REPO_ROOT / "tests" / "fixtures" / "fhir" / "real_world"
OMOP_TABLES = 17


@dataclass(frozen=True)
class Expected:
    """What one producer's export gives."""

    persons: int
    visits: int
    locations: int
    care_sites: int
    providers: int
    # element -> rows in ops.fhir_set_aside
    set_aside: dict[str, int] = field(default_factory=dict)
    # resource type -> resources kept in bronze only
    not_modelled: dict[str, int] = field(default_factory=dict)
    # resource type -> resources whose subject is no Patient
    without_patient: dict[str, int] = field(default_factory=dict)


EXPORTS = {
    # Synthea with its hospital and practitioner Bundles: BOSTON-style city spellings.
    "synthea_blaze": Expected(
        persons=2, visits=11, locations=151, care_sites=194, providers=195,
        not_modelled={
            "AllergyIntolerance": 7, "CarePlan": 3, "CareTeam": 3, "Claim": 13,
            "DiagnosticReport": 16, "DocumentReference": 11, "ExplanationOfBenefit": 11,
            "Immunization": 13, "Location": 194, "PractitionerRole": 195, "Provenance": 2,
        },
    ),
    # Bulk Data NDJSON (with the server's log.ndjson, quarantined at ingest).
    "bulk_smart": Expected(
        persons=4, visits=86, locations=30, care_sites=43, providers=43,
        not_modelled={
            "Device": 4, "DocumentReference": 86, "Immunization": 57, "Location": 44,
            "PractitionerRole": 43,
        },
    ),
    # A claims API: the Patient read and searched (two versions, same lastUpdated), a death
    # before birth in CMS's synthetic data, and claims the CDM does not model yet.
    "bluebutton": Expected(
        persons=1, visits=0, locations=1, care_sites=0, providers=0,
        set_aside={"Patient.deceasedDateTime": 1, "Patient.meta.lastUpdated": 1},
        not_modelled={"Coverage": 4, "ExplanationOfBenefit": 13},
    ),
    # A converter (C-CDA and HL7 v2 to FHIR): Encounters without a subject, undated events,
    # drugs named by a medicationReference to a Medication beside the request.
    "fhir_converter": Expected(
        # Its C-CDA Encounters name no subject: each is its document's only Patient's.
        persons=10, visits=6, locations=9, care_sites=30, providers=22,
        set_aside={"MedicationRequest.date": 2, "Observation.date": 5},
        not_modelled={
            "Account": 4, "AllergyIntolerance": 8, "Composition": 5, "Consent": 1,
            "Coverage": 1, "Device": 8, "DiagnosticReport": 7, "DocumentReference": 6,
            "EpisodeOfCare": 1, "FamilyMemberHistory": 2, "Immunization": 11, "Location": 20,
            "MedicationAdministration": 1, "MedicationStatement": 3,
            "MessageHeader": 5, "PractitionerRole": 4, "Provenance": 6, "RelatedPerson": 6,
            "ServiceRequest": 6, "Specimen": 4,
        },
    ),
    # The US Core 9 examples: gender only in the individual-sex extension, AMHERST/Amherst.
    "us_core_examples": Expected(
        persons=4, visits=3, locations=3, care_sites=5, providers=5,
        set_aside={"Observation.date": 1},
        not_modelled={
            "AllergyIntolerance": 3, "CarePlan": 2, "CareTeam": 2, "Coverage": 1, "Device": 4,
            "DiagnosticReport": 5, "DocumentReference": 5, "Endpoint": 1,
            "FamilyMemberHistory": 1, "Goal": 2, "Immunization": 1, "Location": 2, "Media": 1,
            "MedicationDispense": 1, "PractitionerRole": 1, "Provenance": 1,
            "RelatedPerson": 1, "ServiceRequest": 7, "Specimen": 4,
        },
    ),
}  # fmt: skip


class BuiltExport(NamedTuple):
    name: str
    database: Path
    expected: Expected


@pytest.fixture(scope="module", params=sorted(EXPORTS))
def export(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BuiltExport:
    name = str(request.param)
    root = tmp_path_factory.mktemp(name)
    database, _, _ = ingest_and_build(root, f"real-world-{name}", [[REAL_WORLD / name]])
    return BuiltExport(name, database, EXPORTS[name])


def test_every_omop_table_is_built(export: BuiltExport) -> None:
    _, database, _ = export
    tables = _query(
        database, "select count(*) from information_schema.tables where table_schema = 'omop'"
    )
    assert tables == [[str(OMOP_TABLES)]]


def test_the_cdm_holds_what_the_export_holds(export: BuiltExport) -> None:
    _, database, expected = export
    counts = _query(
        database,
        "select (select count(*) from omop.person), (select count(*) from omop.visit_occurrence), "
        "(select count(*) from omop.location), (select count(*) from omop.care_site), "
        "(select count(*) from omop.provider), "
        "(select count(*) from silver.stg_fhir__patients)",
    )
    persons, visits, locations, care_sites, providers, patients = map(int, counts[0])
    assert persons == patients == expected.persons  # one person per Patient, never two
    assert (visits, locations, care_sites, providers) == (
        expected.visits, expected.locations, expected.care_sites, expected.providers,
    )  # fmt: skip


def test_every_resource_is_mapped_set_aside_or_counted_as_not_modelled(export: BuiltExport) -> None:
    _, database, expected = export
    reconciliation = _query(
        database,
        "select resource_type, resources_in_silver, resources_in_omop, "
        "resources_without_patient, resources_lost from ops.fhir_omop_reconciliation",
    )
    for resource_type, in_silver, in_omop, without_patient, lost in reconciliation:
        assert lost == "0", resource_type
        assert int(without_patient) == expected.without_patient.get(resource_type, 0)
        assert int(in_omop) + int(without_patient) == int(in_silver), resource_type
    not_modelled = dict(
        _query(
            database,
            "select resource_type, resources from ops.fhir_resource_coverage where not is_modelled",
        )
    )
    assert {kind: int(n) for kind, n in not_modelled.items()} == expected.not_modelled
    set_aside = dict(
        _query(database, "select element, count(*) from ops.fhir_set_aside group by element")
    )
    assert {element: int(n) for element, n in set_aside.items()} == expected.set_aside


def test_every_resource_in_bronze_is_covered(export: BuiltExport) -> None:
    _, database, _ = export
    uncovered = _query(
        database,
        "select count(*) from ops.fhir_resource_coverage "
        "where is_modelled and resources_in_omop is null",
    )
    assert uncovered == [["0"]]


def _one_row_per_resource(select: Select) -> bool:
    return (
        not select.iterates
        and not select.union_all
        and all(_one_row_per_resource(sub) for sub in select.selects)
    )


FHIR_VIEWS = [
    definition.load(path)
    for path in sorted((REPO_ROOT / "dbt_project" / "fhir_views").glob("*.json"))
]


def test_every_fhir_view_is_built_with_a_row_per_resource(export: BuiltExport) -> None:
    # The shipped SQL on FHIR views build on every producer's export; a view without forEach
    # or where has exactly one row per resource (latest version) of its type in bronze.
    _, database, _ = export
    resources = {
        kind: int(n)
        for kind, n in _query(
            database, "select resource_type, resources from silver.stg_fhir__resource_types"
        )
    }
    counts = dict(
        _query(
            database,
            " union all ".join(
                f"select '{view.name}', count(*) from silver.fhir_view_{view.name}"
                for view in FHIR_VIEWS
            ),
        )
    )
    assert set(counts) == {view.name for view in FHIR_VIEWS}
    for view in FHIR_VIEWS:
        if _one_row_per_resource(view.select) and not view.where:
            assert int(counts[view.name]) == resources.get(view.resource, 0), view.name
