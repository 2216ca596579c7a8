"""Messy real-world input never takes the CDM down: what a producer spells differently is one
thing, what it types wrongly is set aside with a reason, and versions are chosen by instant.

The fixture (`tests/fixtures/fhir/messy/`, its README lists each quirk) is built once; every
test reads the same lakehouse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import JUST, REPO_ROOT, ingest_and_build, run
from tests.conftest import query_lakehouse as _query

pytestmark = pytest.mark.dbt

MESSY = REPO_ROOT / "tests" / "fixtures" / "fhir" / "messy"
OMOP_TABLES = (
    "person", "observation_period", "visit_occurrence", "condition_occurrence", "drug_exposure",
    "procedure_occurrence", "device_exposure", "measurement", "observation", "death", "location",
    "care_site", "provider", "cdm_source", "condition_era", "drug_era", "concept",
)  # fmt: skip


@pytest.fixture(scope="module")
def built_with_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("messy")
    database, env, reports = ingest_and_build(root, "messy-run", [[MESSY]])
    assert sum(sum(report.quarantined_by_type.values()) for report in reports) == 0
    return database, env


@pytest.fixture(scope="module")
def built(built_with_env: tuple[Path, dict[str, str]]) -> Path:
    return built_with_env[0]


def test_every_omop_table_is_built(built: Path) -> None:
    built_tables = _query(
        built,
        "select table_name from information_schema.tables where table_schema = 'omop' order by 1",
    )
    assert sorted(OMOP_TABLES) == sorted(name for (name,) in built_tables)


def test_what_was_set_aside_is_listed_exactly(built: Path) -> None:
    rows = _query(
        built,
        "select resource_id, element, value_json from ops.fhir_set_aside order by 1, 2",
    )
    assert [tuple(row) for row in rows] == [
        ("m-c1", "Condition.onsetDateTime", '["2020-01-01"]'),
        ("m-e2", "Encounter.period.start", '"2024-13-01"'),
        ("m-o2", "Observation.date", "NULL"),  # no date of its own, its visit's or lastUpdated
        ("m-o2", "Observation.effectiveDateTime", "20240105"),
        ("m-o2", "Observation.valueQuantity.value", '"<5"'),
        ("m-p10", "Patient.gender", "true"),
        ("m-p2", "Patient.gender", '["male"]'),
        ("m-p3", "Patient.birthDate", "12345"),
        ("m-p4", "Patient.birthDate", '"1990-02-30"'),
        ("m-p6", "Patient.meta.lastUpdated", "2024-03-03 03:03:03"),
        ("m-p7", "Patient.deceasedDateTime", '"unknown"'),
        ("m-p8", "Patient.deceasedDateTime", '"1981-03-17"'),
    ]
    reasons = dict(
        _query(built, "select element || ' ' || resource_id, reason from ops.fhir_set_aside")
    )
    assert reasons["Patient.gender m-p2"] == "a JSON array, not a string"
    assert reasons["Patient.gender m-p10"] == "a JSON boolean, not a string"
    assert reasons["Patient.birthDate m-p3"] == "a JSON number, not a string"
    assert reasons["Patient.birthDate m-p4"].startswith("not a FHIR date")
    assert reasons["Observation.valueQuantity.value m-o2"] == "not a number"
    assert reasons["Patient.deceasedDateTime m-p8"] == "before the birthDate (2014-06-01)"


def test_wrongly_typed_values_give_null_never_a_wrong_value(built: Path) -> None:
    people = {
        row[0]: row[1:]
        for row in _query(
            built,
            "select person_source_value, gender_concept_id, year_of_birth, month_of_birth, "
            "day_of_birth from omop.person",
        )
    }
    assert people["m-p2"][0] == "0"  # gender ["male"]: unknown, not male, not an error
    assert people["m-p3"][1] != "1234"  # birthDate 12345: imputed, not year 1234
    assert people["m-p4"] == ["8532", "1990", "2", "NULL"]  # 1990-02-30: no day
    assert people["m-p5"] == ["8507", "1975", "NULL", "NULL"]  # "Male", a partial birthDate
    assert people["m-p9"][0] == "8532"  # no gender, a US Core individual-sex extension
    # "unknown" is no date, and a death in 1981 cannot follow a birth in 2014: no death rows.
    assert _query(built, "select count(*) from omop.death") == [["0"]]
    periods = _query(
        built,
        "select min(observation_period_start_date) from omop.observation_period "
        "join omop.person using (person_id) where person_source_value = 'm-p8'",
    )
    assert periods[0][0] >= "2014-06-01"
    values = _query(
        built,
        "select value_as_number from omop.measurement order by value_as_number nulls last",
    )
    assert values == [["7.2"], ["NULL"]]  # "7.2" is a number written as a string
    onset = _query(built, "select condition_start_date from omop.condition_occurrence")
    assert onset == [["2020-01-02"]]  # the array onset is set aside; recordedDate stands


def test_the_latest_version_is_chosen_by_instant(built: Path) -> None:
    names = dict(_query(built, "select patient_id, given_name from silver.stg_fhir__patients"))
    # 2024-06-01T01:00:00Z is later than 2024-06-01T09:00:00+10:00 (23:00Z the day before).
    assert names["m-p1"] == "Kept"
    # A lastUpdated of "not-a-date" loses to any real instant.
    assert names["m-p5"] == "Kept"
    # Same instant, other content: the file last in path order (Patient.ndjson) wins.
    assert names["m-p6"] == "First"
    gender = _query(built, "select gender_concept_id from omop.person where person_id = 1")
    assert gender == [["8507"]]


def test_one_place_is_one_location_however_it_is_spelled(built: Path) -> None:
    locations = _query(built, "select city, state, zip from omop.location order by 1")
    # Boston, " boston " / "ma" / 02134-1234 and the hospital's BOSTON are one location.
    assert locations == [["Boston", "MA", "02134"], ["Springfield", "MA", "01103"]]
    shared = _query(
        built,
        "select count(distinct location_id) from ("
        "select location_id from omop.person where person_source_value in ('m-p1', 'm-p2') "
        "union all select location_id from omop.care_site where care_site_source_value = 'm-org1'"
        ")",
    )
    assert shared == [["1"]]


def test_references_of_every_form_are_resolved(built: Path) -> None:
    visits = _query(
        built,
        "select p.person_source_value, c.care_site_source_value from omop.visit_occurrence v "
        "join omop.person p on v.person_id = p.person_id "
        "left join omop.care_site c on v.care_site_id = c.care_site_id order by 1",
    )
    assert visits == [["m-p1", "NULL"], ["m-p2", "m-org1"], ["m-p3", "m-org2"]]


def test_every_resource_is_accounted_for(built: Path) -> None:
    rows = _query(
        built,
        "select resource_type, resources_in_silver, resources_without_patient, resources_lost, "
        "is_reconciled from ops.fhir_omop_reconciliation order by 1",
    )
    assert rows == [
        ["Condition", "1", "0", "0", "true"],
        ["Encounter", "3", "0", "0", "true"],
        ["Observation", "3", "1", "0", "true"],  # m-o3's subject is a string, no Reference
        ["Patient", "10", "0", "0", "true"],
    ]


def test_a_rebuild_says_what_it_set_aside_and_lists_it_once(
    built_with_env: tuple[Path, dict[str, str]],
) -> None:
    database, env = built_with_env
    rebuilt = run([*JUST, "build", "--full-refresh"], env=env)
    # With nothing new the build does not start dbt, but still says what the lakehouse set aside.
    unchanged = run([*JUST, "build"], env=env)
    for result in (rebuilt, unchanged):
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert "  set aside: 12 values (ops.fhir_set_aside), the rest was built:" in lines
        assert "            1  Patient.gender: a JSON array, not a string" in lines
        assert lines[-1] == (
            "  not in the CDM, flattened by SQL-on-FHIR views (silver.fhir_view_*): Immunization 2"
        )
    assert unchanged.stdout.startswith("19 fhir views, 0 files written or removed\nnothing new")
    assert _query(database, "select count(*) from ops.fhir_set_aside") == [["12"]]
    assert _query(
        database,
        "select silver_views from ops.fhir_resource_coverage where resource_type = 'Immunization'",
    ) == [["fhir_view_immunizations"]]
