"""A warehouse holding only ingested FHIR (no generated data, no OMOP feed) builds every OMOP
table, with every resource accounted for in the table its concept's domain names."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from iceberg.catalog import load_catalog
from iceberg.loaders import load_fhir
from tests.conftest import JUST, REPO_ROOT, dbt_full_refresh, ingest_and_build, pipeline_env, run
from tests.conftest import query_lakehouse as _query
from tests.dbt_project.event_providers import EVENT_PROVIDERS, ORPHAN_PROVIDERS

pytestmark = pytest.mark.dbt

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "fhir" / "export_like"
# A later export: a new Condition, a new version of c-004 now coded, a new version of c-001
# naming another asserter, a new Observation.
INCREMENT = REPO_ROOT / "tests" / "fixtures" / "fhir" / "export_like_increment"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fhir_only")
    database, _, _ = ingest_and_build(root, "fhir-only-run", [sorted(FIXTURE.glob("*.ndjson"))])
    return database


def test_every_omop_table_has_the_expected_rows(built: Path) -> None:
    tables = [
        "person", "visit_occurrence", "condition_occurrence", "measurement", "observation",
        "drug_exposure", "procedure_occurrence", "death", "observation_period", "location",
        "care_site", "provider", "cdm_source",
    ]  # fmt: skip
    sql = " union all ".join(f"select '{t}', count(*) from omop.{t}" for t in tables)
    counts = {table: int(n) for table, n in _query(built, sql)}
    assert counts == {
        "person": 3,  # p-002 arrives twice (two versions): one person
        "visit_occurrence": 4,
        "condition_occurrence": 4,  # obesity (Observation domain) is not here
        "measurement": 7,  # BP panel -> 2 components; a Measurement-domain Procedure
        "observation": 3,  # obesity finding, smoking status, PHQ-9
        "drug_exposure": 3,  # one from a contained Medication, one with text only
        "procedure_occurrence": 1,
        "death": 1,
        "observation_period": 3,
        "location": 4,
        "care_site": 2,  # org-1 (a resource) and org-2 (only referenced)
        "provider": 2,  # pr-1 (an Encounter's participant), pr-2 (c-001's asserter)
        "cdm_source": 1,
    }


def test_every_resource_is_accounted_for(built: Path) -> None:
    rows = _query(
        built,
        "select resource_type, resources_in_silver, resources_in_omop, resources_lost, "
        "is_reconciled from ops.fhir_omop_reconciliation order by 1",
    )
    assert rows == [
        ["Condition", "5", "5", "0", "true"],
        ["Encounter", "4", "4", "0", "true"],
        ["MedicationRequest", "3", "3", "0", "true"],
        ["Observation", "7", "7", "0", "true"],
        ["Patient", "3", "3", "0", "true"],
        ["Procedure", "2", "2", "0", "true"],
    ]


def test_an_event_provider_is_its_own_practitioner_else_its_visits(built: Path) -> None:
    providers = dict(_query(built, EVENT_PROVIDERS))
    # c-001 names its asserter (pr-2) at a visit with pr-1: its own practitioner wins.
    assert providers["Condition/c-001#0"] == "pr-2"
    # c-002 has no visit and names its recorder.
    assert providers["Condition/c-002#0"] == "pr-1"
    # m-001 names nobody; o-001's performer is an Organization, not a practitioner: both take
    # the provider of their visit, e-001.
    assert providers["MedicationRequest/m-001#0"] == "pr-1"
    assert providers["Observation/o-001#1"] == providers["Observation/o-001#2"] == "pr-1"
    # pr-001's visit (e-002) names no practitioner, nor does the Procedure: null.
    assert providers["Procedure/pr-001#0"] == "NULL"
    # Nothing else names a practitioner or happens at e-001.
    assert sorted(key for key, provider in providers.items() if provider != "NULL") == [
        "Condition/c-001#0",
        "Condition/c-002#0",
        "MedicationRequest/m-001#0",
        "Observation/o-001#1",
        "Observation/o-001#2",
        "Observation/o-002#0",
    ]


def test_every_event_provider_is_an_omop_provider(built: Path) -> None:
    assert all(count == "0" for _, count in _query(built, ORPHAN_PROVIDERS))


def test_unmapped_codes_are_kept_with_concept_zero(built: Path) -> None:
    rows = _query(
        built,
        "select condition_source_value, condition_concept_id from omop.condition_occurrence "
        "where condition_concept_id = 0 order by 1",
    )
    assert rows == [["999999999", "0"], ["J45.909", "0"]]
    listed = _query(built, "select source_value from ops.unmapped_source_codes order by 1")
    assert ["99999-9"] in listed and ["HH"] in listed


def test_domain_routing_and_values(built: Path) -> None:
    bp = _query(
        built,
        "select measurement_concept_id, value_as_number, unit_concept_id from omop.measurement "
        "where measurement_source_value in ('8480-6', '8462-4') order by 1",
    )
    assert bp == [["3004249", "152.0", "8876"], ["3012888", "95.0", "8876"]]
    obesity = _query(
        built,
        "select observation_source_value from omop.observation "
        "where observation_concept_id = 4060985",
    )
    assert obesity == [["162864005"]]
    t2dm = _query(
        built,
        "select condition_source_value from omop.condition_occurrence "
        "where condition_concept_id = 201826",
    )
    assert t2dm == [["44054006"]]  # the SNOMED coding, not the ICD-10-CM one listed first


def test_latest_version_of_a_resource_wins(built: Path) -> None:
    city = _query(built, "select address_city from gold.dim_patient where patient_id = 'p-002'")
    assert city == [["Dallas"]]


def test_ids_are_stable_across_builds(built: Path, tmp_path: Path) -> None:
    before = _query(built, "select source_key, omop_id from silver.int_omop_id_map order by 1")
    env = pipeline_env(tmp_path, "fhir-only-rebuild")
    env["HEALTHLAKE_WAREHOUSE"] = str(built.parent)
    rebuilt = dbt_full_refresh(env)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    after = _query(built, "select source_key, omop_id from silver.int_omop_id_map order by 1")
    assert after == before


def test_incremental_builds_equal_a_full_refresh(tmp_path: Path) -> None:
    """A multi-load history built incrementally (staging parses only what new loads touched)
    gives every silver, OMOP and gold table a full refresh gives, lineage columns aside."""
    database, env, _ = ingest_and_build(
        tmp_path,
        "incremental-run",
        [sorted(FIXTURE.glob("*.ndjson")), sorted(INCREMENT.glob("*.ndjson"))],
    )
    providers = dict(_query(database, EVENT_PROVIDERS))
    # c-001's new version names pr-1 instead of pr-2: a changed provider is a changed row.
    assert providers["Condition/c-001#0"] == "pr-1"
    assert "Condition/c-006#0" in providers
    # Staged by the first build and untouched by the second: not parsed again.
    first, second = (
        row[0]
        for row in _query(
            database,
            "select dbt_invocation_id from silver.stg_fhir__conditions "
            "where condition_id in ('c-002', 'c-001') order by condition_id desc",
        )
    )
    assert first != second
    # Third load: the first export again, under a new run id. Loading a path again replaces
    # what it loaded before, so the staged versions of ingest-1 are gone from bronze: its
    # resources are staged again, c-001 and c-004 keeping their newer versions. Fourth: a file
    # with a version that loses (c-001 as first exported) and a new resource, c-099.
    extra = tmp_path / "extra" / "Condition.ndjson"
    extra.parent.mkdir()
    first_c001 = (FIXTURE / "Condition.ndjson").read_text().splitlines()[0]
    c099 = json.loads(first_c001) | {"id": "c-099"}
    extra.write_text(first_c001 + "\n" + json.dumps(c099) + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HEALTHLAKE_WAREHOUSE", env["HEALTHLAKE_WAREHOUSE"])
        load_fhir(load_catalog(), sorted(FIXTURE.glob("*.ndjson")), "ingest-3", force=True)
        load_fhir(load_catalog(), [extra], "ingest-4")
    _build_incrementally(env)
    assert _query(database, STAGED_CONDITIONS) == [
        ["c-001", "ingest-2"], ["c-002", "ingest-3"], ["c-003", "ingest-3"],
        ["c-004", "ingest-2"], ["c-005", "ingest-3"], ["c-006", "ingest-2"],
        ["c-099", "ingest-4"],
    ]  # fmt: skip
    # Fifth: the same file again without c-099, which no version in bronze has any more.
    extra.write_text(first_c001 + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HEALTHLAKE_WAREHOUSE", env["HEALTHLAKE_WAREHOUSE"])
        load_fhir(load_catalog(), [extra], "ingest-5")
    _build_incrementally(env)
    assert [row[0] for row in _query(database, STAGED_CONDITIONS)] == [
        "c-001", "c-002", "c-003", "c-004", "c-005", "c-006",
    ]  # fmt: skip
    incremental = _built_tables(database)
    rebuilt = run([*JUST, "build", "--full-refresh"], env=env)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    refreshed = _built_tables(database)
    assert refreshed.keys() == incremental.keys()
    for table, rows in refreshed.items():
        assert incremental[table] == rows, table
    builds = _query(database, "select full_refresh from ops.lakehouse_builds order by built_at")
    assert builds == [["false"]] * 4 + [["true"]]


STAGED_CONDITIONS = (
    "select condition_id, bronze_pipeline_run_id from silver.stg_fhir__conditions order by 1"
)


def _build_incrementally(env: dict[str, str]) -> None:
    result = run([*JUST, "build"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "full refresh" not in result.stdout


# Who built a row and when: differs between any two builds, by design; cdm_source describes
# the build itself (its dbt invocation, its date).
BUILD_LINEAGE = ("pipeline_run_id", "dbt_invocation_id", "transformed_at")
DESCRIBES_THE_BUILD = "omop.cdm_source"


def _built_tables(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every silver, OMOP and gold table's rows, sorted, without the build lineage columns."""
    with duckdb.connect(str(database), read_only=True) as conn:
        columns: dict[str, list[str]] = {}
        for schema, table, column in conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ('silver', 'omop', 'gold') order by ordinal_position"
        ).fetchall():
            if column not in BUILD_LINEAGE and f"{schema}.{table}" != DESCRIBES_THE_BUILD:
                columns.setdefault(f"{schema}.{table}", []).append(column)
        return {
            table: sorted(
                conn.execute(
                    f"select {', '.join(f'{chr(34)}{c}{chr(34)}' for c in names)} from {table}"
                ).fetchall(),
                key=repr,
            )
            for table, names in columns.items()
        }


def test_every_omop_and_gold_model_and_column_is_described(built: Path) -> None:
    documented: dict[str, dict[str, str]] = {}
    for folder in ("omop", "gold"):
        for path in (REPO_ROOT / "dbt_project" / "models" / folder).glob("*.yml"):
            for model in yaml.safe_load(path.read_text()).get("models", []):
                assert model.get("description"), f"{model['name']} has no description"
                documented[model["name"]] = {
                    c["name"]: c.get("description", "") for c in model.get("columns", [])
                }
    for folder in ("omop", "gold"):
        for path in (REPO_ROOT / "dbt_project" / "models" / folder).glob("*.sql"):
            columns = _query(
                built,
                "select column_name from information_schema.columns "
                f"where table_schema = '{folder}' and table_name = '{path.stem}'",
            )
            assert columns, f"{folder}.{path.stem} was not built"
            for (column,) in columns:
                assert documented[path.stem].get(column), f"{path.stem}.{column} is undescribed"
