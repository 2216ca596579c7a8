"""Every OMOP table: spec columns and types, required fields, unique ids, resolving foreign keys,
concept ids from the concept seed with the right domain."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from generators import omop_spec
from generators.config import GeneratorConfig
from generators.output import OMOP_RENDERERS, OMOP_WORLD_RENDERERS, generate
from tests.conftest import REPO_ROOT

TABLES = [*OMOP_RENDERERS, *OMOP_WORLD_RENDERERS]
CONCEPT_SEED = REPO_ROOT / "dbt_project" / "seeds" / "vocabulary" / "concept.csv"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    out = tmp_path_factory.mktemp("omop") / "generated"
    generate(GeneratorConfig(patients=700, seed=13, batch_size=250), out)
    return {table: pq.read_table(out / "omop" / f"{table}.parquet") for table in TABLES}


def test_all_issue_tables_are_written() -> None:
    expected = {
        "person", "observation_period", "visit_occurrence", "condition_occurrence",
        "measurement", "drug_exposure", "death", "location", "care_site", "provider",
        "cdm_source", "procedure_occurrence", "observation",
    }  # fmt: skip
    assert set(TABLES) == expected


@pytest.mark.parametrize("table", TABLES)
def test_columns_order_and_types_match_the_spec(table: str, dataset: dict[str, pa.Table]) -> None:
    assert dataset[table].schema.equals(omop_spec.arrow_schema(table)), table
    assert dataset[table].num_rows > 0, table


@pytest.mark.parametrize("table", TABLES)
def test_required_fields_are_filled_and_primary_keys_unique(
    table: str, dataset: dict[str, pa.Table]
) -> None:
    rows = dataset[table]
    for field in omop_spec.fields(table):
        if field.is_required:
            assert rows.column(field.field_name).null_count == 0, field.field_name
        if field.is_primary_key:
            column = rows.column(field.field_name)
            assert pc.count_distinct(column).as_py() == rows.num_rows, field.field_name


@pytest.mark.parametrize("table", TABLES)
def test_foreign_keys_resolve(table: str, dataset: dict[str, pa.Table]) -> None:
    for field in omop_spec.fields(table):
        target = field.fk_table_name
        if target is None or target not in dataset or target == "concept":
            continue
        values = pc.drop_null(dataset[table].column(field.field_name))
        keys = dataset[target].column(field.fk_field_name or field.field_name)
        assert pc.all(pc.is_in(values, value_set=keys)).as_py() in (True, None), field.field_name


def _concepts() -> dict[int, str]:
    with CONCEPT_SEED.open(encoding="utf-8", newline="") as handle:
        return {int(row["concept_id"]): row["domain_id"] for row in csv.DictReader(handle)}


@pytest.mark.parametrize("table", TABLES)
def test_concept_ids_exist_with_the_right_domain(table: str, dataset: dict[str, pa.Table]) -> None:
    concepts = _concepts()
    for field in omop_spec.fields(table):
        if not field.field_name.endswith("concept_id"):
            continue
        used = {v for v in dataset[table].column(field.field_name).to_pylist() if v is not None}
        for concept_id in used:
            assert concept_id in concepts, (table, field.field_name, concept_id)
            if concept_id and field.fk_domain:
                assert concepts[concept_id] == field.fk_domain, (field.field_name, concept_id)


def test_dataset_files_are_in_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "g"
    manifest = generate(GeneratorConfig(patients=50, seed=1), out)
    formats = {(e["format"], e.get("resource_type") or e.get("table")) for e in manifest["files"]}
    assert ("fhir-ndjson", "Observation") in formats
    assert ("omop-parquet", "cdm_source") in formats
