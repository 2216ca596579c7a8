"""The official FHIR R4 examples, ingested alone, build every OMOP table with every test passing
and every resource accounted for: real-world shapes our generator never makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import JUST, SHARED_REFERENCE, query_lakehouse, run

pytestmark = [
    pytest.mark.dbt,
    pytest.mark.skipif(
        not (SHARED_REFERENCE / "fhir_r4_examples").exists(),
        reason="../shared/reference/fhir_r4_examples is not present",
    ),
]


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("examples")
    env = {
        "HEALTHLAKE_WAREHOUSE": str(root / "warehouse"),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
        "PIPELINE_RUN_ID": "official-examples",
    }
    ingested = run([*JUST, "ingest-fhir", str(SHARED_REFERENCE / "fhir_r4_examples")], env=env)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    built = run([*JUST, "build"], env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    return root / "warehouse" / "lakehouse.duckdb"


def test_one_person_per_patient(lakehouse: Path) -> None:
    counts = query_lakehouse(
        lakehouse,
        "select (select count(distinct resource_id) from bronze.fhir_patient), "
        "(select count(*) from omop.person)",
    )
    assert counts[0][0] == counts[0][1]


def test_no_resource_is_lost(lakehouse: Path) -> None:
    rows = query_lakehouse(
        lakehouse,
        "select resource_type, resources_in_silver, resources_in_omop + resources_without_patient"
        " + resources_with_unknown_patient,"
        " resources_lost from ops.fhir_omop_reconciliation order by 1",
    )
    assert {row[0] for row in rows} == {
        "Condition", "Encounter", "MedicationRequest", "Observation", "Patient", "Procedure",
    }  # fmt: skip
    for resource_type, resources_in, accounted, lost in rows:
        assert resources_in == accounted, resource_type
        assert lost == "0", resource_type


def test_every_encounter_is_a_visit_even_without_a_period(lakehouse: Path) -> None:
    counts = query_lakehouse(
        lakehouse,
        "select (select count(distinct resource_id) from bronze.fhir_encounter), "
        "(select count(*) from omop.visit_occurrence)",
    )
    assert counts[0][0] == counts[0][1]
