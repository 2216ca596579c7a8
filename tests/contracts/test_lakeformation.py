"""Lake Formation from the contracts and policies: what each role is granted, the LF-tag and
data cell filter config written into the model yml, as dbt compiles it for the athena target,
and as dbt-athena applies it to Lake Formation (moto)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from common.paths import DBT_PROJECT_DIR, PROFILES_DIR
from contracts.drift import MODELS_DIR, PRODUCT_FOLDERS
from contracts.exceptions import PolicyInvalidError
from contracts.lakeformation import (
    CLASSIFICATION_TAG,
    DATA_PRODUCT_TAG,
    filter_name,
    lf_tag_values,
    model_configs,
    principal_variable,
    role_grants,
)
from contracts.model import Contract
from contracts.policies import Policies, load_policies, parse_policies
from tests.conftest import one_line_error, python_module, run

REGIONAL_ARN = "arn:aws:iam::123456789012:role/healthlake-test-regional-analyst"


@pytest.fixture(scope="module")
def athena_manifest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The manifest of `dbt parse --target athena` where the stack runs dbt (the regional
    role's ARN in its variable): what dbt-athena reads each model's config from (no AWS call:
    parse connects to nothing)."""
    root = tmp_path_factory.mktemp("athena_parse")
    env = {
        principal_variable("regional_analyst"): REGIONAL_ARN,
        "AWS_REGION": "us-east-1",
        "HEALTHLAKE_ATHENA_S3_STAGING_DIR": "s3://results-bucket/athena/",
        "HEALTHLAKE_ATHENA_S3_DATA_DIR": "s3://lake-bucket/dbt/",
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
    }
    result = run(
        ["dbt", "parse", "--target", "athena", "--profiles-dir", str(PROFILES_DIR)],
        env=env,
        cwd=DBT_PROJECT_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    yield json.loads((root / "target" / "manifest.json").read_text())


def _models_copy(tmp_path: Path) -> Path:
    models = tmp_path / "models"
    for folder in PRODUCT_FOLDERS:
        shutil.copytree(MODELS_DIR / folder, models / folder)
    return models


def test_each_role_is_granted_what_its_policy_leaves_unmasked(
    policies: Policies, contracts: list[Contract]
) -> None:
    access = role_grants(policies, contracts)
    products = tuple(contract.name for contract in contracts)
    assert access["clinician_researcher"].expression == {
        CLASSIFICATION_TAG: ("phi", "pii", "internal", "public"),
        DATA_PRODUCT_TAG: products,
    }
    # PHI and PII are masked for the analyst: Lake Formation hides those columns.
    assert access["analyst"].expression == {
        CLASSIFICATION_TAG: ("internal", "public"),
        DATA_PRODUCT_TAG: products,
    }
    regional = access["regional_analyst"]
    assert regional.expression is None
    # Rows of its states where the policy masks nothing; tables with masked columns need
    # masked tables, which Lake Formation cannot make.
    assert regional.row_filters == {"agg_condition_prevalence": "state IN ('CA', 'OR', 'WA')"}
    assert set(regional.unserved) == {"dim_patient", "location"}


def test_a_masked_column_of_a_classification_granted_raw_is_refused(
    contracts: list[Contract],
) -> None:
    text = load_policies().path.read_text()
    # A mask on an internal column: a tag grant on `internal` would show its raw values.
    edited = text.replace("      location.zip: zip3\n", "      location.state: zip3\n", 1)
    assert edited != text
    policies = parse_policies(Path("policies.yml"), edited)
    with pytest.raises(PolicyInvalidError, match=r"location\.state is masked \(zip3\)"):
        role_grants(policies, contracts)


def test_a_product_read_by_a_role_in_part_is_refused(
    policies: Policies, contracts: list[Contract]
) -> None:
    # The data_product tag grants a whole product: a table of it the analyst may not read
    # cannot be held back from an analyst reading the others.
    omop = next(contract for contract in contracts if contract.name == "omop_cdm")
    first, *others = omop.tables
    narrowed = dataclasses.replace(
        omop,
        tables=(dataclasses.replace(first, readers=("clinician_researcher",)), *others),
    )
    rest = [contract for contract in contracts if contract is not omop]
    with pytest.raises(PolicyInvalidError, match="role analyst reads some of its tables, not all"):
        role_grants(policies, [narrowed, *rest])


def test_a_row_filter_value_is_a_literal_never_sql(contracts: list[Contract]) -> None:
    text = load_policies().path.read_text()
    edited = text.replace("values: [CA, OR, WA]", 'values: ["CA\') or (1 = 1"]', 1)
    assert edited != text
    access = role_grants(parse_policies(Path("policies.yml"), edited), contracts)
    assert access["regional_analyst"].row_filters["agg_condition_prevalence"] == (
        "state IN ('CA'') or (1 = 1')"
    )


def test_the_model_yml_holds_what_the_contracts_give() -> None:
    result = python_module("contracts", "lakeformation", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matches the contracts" in result.stdout


def test_a_hand_edit_is_drift_and_writing_restores_it(tmp_path: Path) -> None:
    models = _models_copy(tmp_path)
    dim_patient = models / "gold" / "dim_patient.yml"
    original = dim_patient.read_text()
    # Someone declassifies the names in the yml rather than in the contract.
    edited = original.replace("phi: [person_id, patient_id, given_name, family_name,", "phi: [")
    assert edited != original
    dim_patient.write_text(edited)
    check = python_module("contracts", "lakeformation", "--check", "--models", str(models))
    assert check.returncode == 1
    assert f"{dim_patient}: Lake Formation config differs from the contracts" in check.stdout
    assert dim_patient.read_text() == edited
    write = python_module("contracts", "lakeformation", "--models", str(models))
    assert write.returncode == 0, write.stderr
    assert dim_patient.read_text() == original


def test_a_model_config_of_its_own_is_refused_in_one_line(tmp_path: Path) -> None:
    models = _models_copy(tmp_path)
    person = models / "omop" / "person.yml"
    text = person.read_text()
    person.write_text(text.replace("  - name: person\n", "  - name: person\n    config:\n", 1))
    result = python_module("contracts", "lakeformation", "--check", "--models", str(models))
    one_line_error(result, f"{person}: model person has a config: block of its own")


def test_athena_compiles_every_product_with_its_columns_classified(
    athena_manifest: dict[str, Any], contracts: list[Contract], policies: Policies
) -> None:
    expected = model_configs(contracts, policies)
    nodes = {
        node["name"]: node
        for node in athena_manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    for contract in contracts:
        for table in contract.tables:
            config = nodes[table.name]["config"]["lf_tags_config"]
            assert config == expected[table.name]["lf_tags_config"], table.name
            assert config["enabled"] is True
            assert config["tags"] == {DATA_PRODUCT_TAG: contract.name}
            tagged = {
                column: value
                for value, columns in config["tags_columns"][CLASSIFICATION_TAG].items()
                for column in columns
            }
            assert tagged == {c.name: c.classification for c in table.columns}, table.name
            assert set(tagged) == set(nodes[table.name]["columns"]), table.name
    # Staging, intermediate and ops are no data product: Lake Formation tags none of them.
    assert not any(
        "lf_grants" in node["config"] for node in nodes.values() if node["name"] not in expected
    )
    untagged = {name for name, node in nodes.items() if "lf_tags_config" not in node["config"]}
    assert untagged == set(nodes) - set(expected)
    assert any(name.startswith("stg_") for name in untagged)


def test_athena_compiles_the_row_filters_as_data_cell_filters(
    athena_manifest: dict[str, Any], policies: Policies
) -> None:
    grants = {
        node["name"]: node["config"]["lf_grants"]
        for node in athena_manifest["nodes"].values()
        if "lf_grants" in node["config"]
    }
    assert grants == {
        "agg_condition_prevalence": {
            "data_cell_filters": {
                "enabled": True,
                "filters": {
                    filter_name("regional_analyst"): {
                        "row_filter": "state IN ('CA', 'OR', 'WA')",
                        "principals": [REGIONAL_ARN],
                    }
                },
            }
        }
    }
    # The policy's states, as dbt-athena hands the filter to CreateDataCellsFilter.
    from dbt.adapters.athena.lakeformation import LfGrantsConfig

    config = LfGrantsConfig(**grants["agg_condition_prevalence"])
    table_data = config.data_cell_filters.filters["regional_analyst_rows"].to_api_repr(
        "123456789012", "gold", "agg_condition_prevalence", "regional_analyst_rows"
    )
    assert table_data["RowFilter"] == {"FilterExpression": "state IN ('CA', 'OR', 'WA')"}
    values = policies.role("regional_analyst").row_filter
    assert values is not None and values.values == ("CA", "OR", "WA")


@pytest.mark.parametrize("target", ["lint", "trino"])
def test_without_the_principal_the_filters_are_off(tmp_path: Path, target: str) -> None:
    # dbt on DuckDB (the lint target: DuckDB in memory) or Trino, which ignore both keys, or on
    # Athena outside the stack: no principal, no filter to make. Parsing connects to nothing.
    env = {
        name: value
        for name, value in os.environ.items()
        if name != principal_variable("regional_analyst")
    }
    result = subprocess.run(
        ["dbt", "parse", "--target", target, "--profiles-dir", str(PROFILES_DIR)],
        cwd=DBT_PROJECT_DIR,
        env={**env, "DBT_TARGET_PATH": str(tmp_path / "t"), "DBT_LOG_PATH": str(tmp_path / "l")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "t" / "manifest.json").read_text())
    grants = manifest["nodes"]["model.healthlake.agg_condition_prevalence"]["config"]["lf_grants"]
    assert grants["data_cell_filters"]["enabled"] is False


def test_dbt_athena_tags_the_columns_in_lake_formation(
    moto_server: str, athena_manifest: dict[str, Any], contracts: list[Contract]
) -> None:
    # dbt-athena's own tag manager, on a boto3 client of moto's Lake Formation: the code a
    # `dbt build --target athena` runs after it builds each product table.
    from dbt.adapters.athena.lakeformation import LfTagsConfig, LfTagsManager
    from dbt.adapters.athena.relation import AthenaRelation

    lakeformation = boto3.client("lakeformation", endpoint_url=moto_server)
    for key, values in lf_tag_values(contracts).items():
        lakeformation.create_lf_tag(TagKey=key, TagValues=values)
    for node in athena_manifest["nodes"].values():
        config = node["config"].get("lf_tags_config")
        if config is None:
            continue
        columns = {"DatabaseName": node["schema"], "Name": node["alias"]}
        # The daily rebuild: the table holds what the previous build tagged, here with its
        # first column classified otherwise (a reclassification since). moto's
        # get_resource_lf_tags fails on a table never tagged, where Lake Formation answers
        # with no tags, so every table starts tagged.
        first = next(iter(node["columns"]))
        lakeformation.add_lf_tags_to_resource(
            Resource={"Table": columns},
            LFTags=[{"TagKey": DATA_PRODUCT_TAG, "TagValues": [config["tags"][DATA_PRODUCT_TAG]]}],
        )
        lakeformation.add_lf_tags_to_resource(
            Resource={"TableWithColumns": {**columns, "ColumnNames": [first]}},
            LFTags=[{"TagKey": CLASSIFICATION_TAG, "TagValues": ["public"]}],
        )
        relation = AthenaRelation.create(
            database="awsdatacatalog", schema=node["schema"], identifier=node["alias"]
        )
        LfTagsManager(lakeformation, relation, LfTagsConfig(**config)).process_lf_tags()

    schemas = {node["name"]: node["schema"] for node in athena_manifest["nodes"].values()}
    for contract in contracts:
        for table in contract.tables:
            schema = schemas[table.name]
            tags = lakeformation.get_resource_lf_tags(
                Resource={
                    "TableWithColumns": {
                        "DatabaseName": schema,
                        "Name": table.name,
                        "ColumnNames": [c.name for c in table.columns],
                    }
                }
            )
            found = {
                column["Name"]: [
                    (tag["TagKey"], value) for tag in column["LFTags"] for value in tag["TagValues"]
                ]
                for column in tags["LFTagsOnColumns"]
            }
            assert found == {
                c.name: [(CLASSIFICATION_TAG, c.classification)] for c in table.columns
            }, table.name
            on_table = lakeformation.get_resource_lf_tags(
                Resource={"Table": {"DatabaseName": schema, "Name": table.name}}
            )["LFTagsOnTable"]
            assert [(t["TagKey"], t["TagValues"]) for t in on_table] == [
                (DATA_PRODUCT_TAG, [contract.name])
            ]
