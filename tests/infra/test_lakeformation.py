"""Lake Formation in the synthesized template, and replayed on moto's Lake Formation.

The template holds the LF-tags of the contracts, the grants `contracts.lakeformation` derives
from the policies, the settings and locations that make Lake Formation the guard of gold and
omop. Then the template's tags and grants are made on a moto server, dbt-athena's own tag
manager tags the product columns as a build does, and what each role may SELECT is read back
from moto and matched the way Lake Formation matches an LF-tag expression. moto stores tags and
grants but does not evaluate them, nor does it know data cell filters; those are asserted on
the compiled dbt config (tests/contracts/test_lakeformation.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from contracts.drift import dbt_models
from contracts.lakeformation import (
    CLASSIFICATION_TAG,
    DATA_PRODUCT_TAG,
    lf_tag_values,
    model_configs,
    principal_variable,
    role_grants,
)
from contracts.model import Contract
from contracts.policies import Policies
from healthlake_infra import layout
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import actions_on, role_policy, text

# The account moto answers as.
ACCOUNT = "123456789012"
ROLES = {"clinician_researcher": "ClinicianResearcher", "analyst": "Analyst"}


def _lf(synthesized: Synthesized, resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in synthesized.resources(
            f"AWS::LakeFormation::{resource_type}"
        ).items()
    }


def _grants_to(synthesized: Synthesized, role: str) -> list[dict[str, Any]]:
    """The PrincipalPermissions whose principal is the role Access<role>Role."""
    return [
        grant
        for grant in _lf(synthesized, "PrincipalPermissions").values()
        if grant["Principal"]["DataLakePrincipalIdentifier"]["Fn::GetAtt"][0].startswith(
            f"Access{role}Role"
        )
    ]


# --- the template ---------------------------------------------------------------------------


def test_lf_tags_are_the_contracts_classifications_and_products(
    synthesized: Synthesized, contracts: list[Contract]
) -> None:
    tags = {t["TagKey"]: t["TagValues"] for t in _lf(synthesized, "Tag").values()}
    assert tags == {
        CLASSIFICATION_TAG: ["phi", "pii", "internal", "public"],
        DATA_PRODUCT_TAG: sorted(contract.name for contract in contracts),
    }
    assert tags == lf_tag_values(contracts)


def test_each_reader_selects_the_columns_its_policy_leaves_unmasked(
    synthesized: Synthesized, contracts: list[Contract], policies: Policies
) -> None:
    products = sorted(contract.name for contract in contracts)
    expected = {
        "ClinicianResearcher": ["phi", "pii", "internal", "public"],
        "Analyst": ["internal", "public"],
    }
    access = role_grants(policies, contracts)
    for role, classifications in expected.items():
        (grant,) = [g for g in _grants_to(synthesized, role) if "LFTagPolicy" in g["Resource"]]
        policy = grant["Resource"]["LFTagPolicy"]
        assert policy["ResourceType"] == "TABLE"
        assert policy["Expression"] == [
            {"TagKey": CLASSIFICATION_TAG, "TagValues": classifications},
            {"TagKey": DATA_PRODUCT_TAG, "TagValues": products},
        ], role
        assert grant["Permissions"] == ["SELECT", "DESCRIBE"]
        assert grant["PermissionsWithGrantOption"] == []
    assert access["analyst"].expression is not None


def test_a_row_filtered_reader_has_no_tag_grant_only_the_databases(
    synthesized: Synthesized,
) -> None:
    # Its rows come from the data cell filters dbt makes and grants (lf_grants).
    grants = _grants_to(synthesized, "RegionalAnalyst")
    assert sorted(g["Resource"]["Database"]["Name"] for g in grants) == ["gold", "omop"]
    assert all(g["Permissions"] == ["DESCRIBE"] for g in grants)


def test_dbt_associates_the_tags_and_owns_the_product_databases(
    synthesized: Synthesized,
) -> None:
    grants = _grants_to(synthesized, "Dbt")
    associated = {
        g["Resource"]["LFTag"]["TagKey"]: g["Permissions"]
        for g in grants
        if "LFTag" in g["Resource"]
    }
    assert associated == {
        CLASSIFICATION_TAG: ["ASSOCIATE", "DESCRIBE"],
        DATA_PRODUCT_TAG: ["ASSOCIATE", "DESCRIBE"],
    }
    databases = {
        g["Resource"]["Database"]["Name"]: g["Permissions"]
        for g in grants
        if "Database" in g["Resource"]
    }
    assert databases == {
        name: ["CREATE_TABLE", "ALTER", "DROP", "DESCRIBE"] for name in layout.PRODUCT_SCHEMAS
    }
    locations = [
        text(g["Resource"]["DataLocation"]) for g in grants if "DataLocation" in g["Resource"]
    ]
    assert len(locations) == 2 and all("StorageDataLake" in loc for loc in locations)
    dbt_actions = {a for a, _ in actions_on(role_policy(synthesized, "Dbt"), "lakeformation:")}
    assert {
        "lakeformation:AddLFTagsToResource",
        "lakeformation:CreateDataCellsFilter",
        "lakeformation:BatchGrantPermissions",
        "lakeformation:GetDataAccess",
    } <= dbt_actions


def test_the_stack_is_a_lake_formation_admin_beside_the_accounts_own(
    synthesized: Synthesized,
) -> None:
    (settings,) = _lf(synthesized, "DataLakeSettings").values()
    assert settings["MutationType"] == "APPEND"
    (admin,) = settings["Admins"]
    assert "cfn-exec-role" in admin["DataLakePrincipalIdentifier"]["Fn::Sub"]
    # Account-wide defaults are left alone: the product databases opt out one by one.
    assert "CreateTableDefaultPermissions" not in settings


def test_product_databases_give_iam_nothing_by_default(synthesized: Synthesized) -> None:
    inputs = {
        d["Properties"]["DatabaseInput"]["Name"]: d["Properties"]["DatabaseInput"]
        for d in synthesized.resources("AWS::Glue::Database").values()
    }
    for name, database in inputs.items():
        if name in layout.PRODUCT_SCHEMAS:
            assert database["CreateTableDefaultPermissions"] == [], name
        else:
            # bronze, silver and ops stay under IAM: the loader and dbt read and write them.
            assert "CreateTableDefaultPermissions" not in database, name


def test_product_locations_are_registered_with_a_role_of_their_own(
    synthesized: Synthesized,
) -> None:
    locations = _lf(synthesized, "Resource").values()
    assert sorted(text(loc["ResourceArn"])[-12:] for loc in locations) == sorted(
        f'{"/" + layout.database_prefix(name)}"]]}}'[-12:] for name in layout.PRODUCT_SCHEMAS
    )
    for location in locations:
        assert location["UseServiceLinkedRole"] is False
        assert location["RoleArn"]["Fn::GetAtt"][0].startswith("LakeFormationLocationsRole")
    (role,) = [
        r
        for logical_id, r in synthesized.resources("AWS::IAM::Role").items()
        if logical_id.startswith("LakeFormationLocationsRole")
    ]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lakeformation.amazonaws.com"}
    policy = synthesized.only("AWS::IAM::ManagedPolicy", "LakeFormationLocationsPolicy")
    objects = [
        text(s["Resource"])
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "ReadWriteProducts"
    ]
    assert len(objects) == 1 and "/dbt/gold/*" in objects[0] and "/dbt/omop/*" in objects[0]


def test_dbt_finds_the_filtered_roles_principal_in_its_environment(
    synthesized: Synthesized,
) -> None:
    build = synthesized.only("AWS::ECS::TaskDefinition", "PipelineBuildTask")
    (container,) = build["Properties"]["ContainerDefinitions"]
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    value = environment[principal_variable("regional_analyst")]
    assert value["Fn::GetAtt"][0].startswith("AccessRegionalAnalystRole")
    assert principal_variable("analyst") not in environment


# --- replayed on moto ----------------------------------------------------------------------


def _resolved(value: Any, roles: dict[str, str]) -> Any:
    """A template value with the intrinsics these resources use replaced by moto's values."""
    if isinstance(value, list):
        return [_resolved(v, roles) for v in value]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": "AWS::AccountId"}:
        return ACCOUNT
    if "Fn::GetAtt" in value:
        logical_id = value["Fn::GetAtt"][0]
        return roles.get(logical_id, f"arn:aws:s3:::{logical_id.lower()}")
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_resolved(p, roles) for p in parts)
    return {k: _resolved(v, roles) for k, v in value.items()}


def _schema(model: str) -> str:
    """The schema dbt builds a product model in: its folder's (models/omop, models/gold)."""
    return str(dbt_models()[model]["_path"].parent.name)


def _matches(expression: list[dict[str, Any]], tags: dict[str, str]) -> bool:
    """Lake Formation's rule: every key of the expression holds one of its values."""
    return all(tags.get(e["TagKey"]) in e["TagValues"] for e in expression)


@pytest.fixture
def lake_formation(
    moto_server: str, synthesized: Synthesized, contracts: list[Contract], policies: Policies
) -> Iterator[tuple[Any, dict[str, str]]]:
    """moto's Lake Formation after the stack's tags and grants and a dbt build's tagging."""
    from dbt.adapters.athena.lakeformation import LfTagsConfig, LfTagsManager
    from dbt.adapters.athena.relation import AthenaRelation

    client = boto3.client("lakeformation", endpoint_url=moto_server)
    roles = {
        logical_id: f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"
        for logical_id in synthesized.resources("AWS::IAM::Role")
    }
    for tag in _lf(synthesized, "Tag").values():
        client.create_lf_tag(TagKey=tag["TagKey"], TagValues=tag["TagValues"])
    for grant in _lf(synthesized, "PrincipalPermissions").values():
        resolved = _resolved(grant, roles)
        client.grant_permissions(
            Principal=resolved["Principal"],
            Resource=resolved["Resource"],
            Permissions=resolved["Permissions"],
            PermissionsWithGrantOption=resolved["PermissionsWithGrantOption"],
        )
    configs = model_configs(contracts, policies)
    for contract in contracts:
        for table in contract.tables:
            schema = _schema(table.name)
            config = configs[table.name]["lf_tags_config"]
            # moto's get_resource_lf_tags fails on a table never tagged (Lake Formation answers
            # with no tags): start each as a previous build left its table tag.
            client.add_lf_tags_to_resource(
                Resource={"Table": {"DatabaseName": schema, "Name": table.name}},
                LFTags=[{"TagKey": DATA_PRODUCT_TAG, "TagValues": [contract.name]}],
            )
            relation = AthenaRelation.create(
                database="awsdatacatalog", schema=schema, identifier=table.name
            )
            LfTagsManager(client, relation, LfTagsConfig(**config)).process_lf_tags()
    yield client, roles


def _selectable(client: Any, principal: str, contracts: list[Contract]) -> dict[str, set[str]]:
    """table -> the columns `principal` may SELECT by its LF-tag grants stored in moto."""
    # Lake Formation lists by principal only with a resource: list all, keep the principal's.
    grants = client.list_permissions()["PrincipalResourcePermissions"]
    expressions = [
        p["Resource"]["LFTagPolicy"]["Expression"]
        for p in grants
        if p["Principal"] == {"DataLakePrincipalIdentifier": principal}
        and "LFTagPolicy" in p["Resource"]
        and "SELECT" in p["Permissions"]
    ]
    visible: dict[str, set[str]] = {}
    for contract in contracts:
        for table in contract.tables:
            schema = _schema(table.name)
            on_table = client.get_resource_lf_tags(
                Resource={"Table": {"DatabaseName": schema, "Name": table.name}}
            )["LFTagsOnTable"]
            inherited = {t["TagKey"]: t["TagValues"][0] for t in on_table}
            columns = client.get_resource_lf_tags(
                Resource={
                    "TableWithColumns": {
                        "DatabaseName": schema,
                        "Name": table.name,
                        "ColumnNames": [c.name for c in table.columns],
                    }
                }
            )["LFTagsOnColumns"]
            for column in columns:
                tags = {**inherited, **{t["TagKey"]: t["TagValues"][0] for t in column["LFTags"]}}
                if any(_matches(e, tags) for e in expressions):
                    visible.setdefault(table.name, set()).add(column["Name"])
    return visible


def test_on_lake_formation_the_analyst_selects_no_phi_or_pii_column(
    lake_formation: tuple[Any, dict[str, str]], contracts: list[Contract]
) -> None:
    client, roles = lake_formation
    principals = {
        name: next(
            arn for logical_id, arn in roles.items() if logical_id.startswith(f"Access{role}Role")
        )
        for name, role in {**ROLES, "regional_analyst": "RegionalAnalyst"}.items()
    }
    everything = {
        t.name: {column.name for column in t.columns} for c in contracts for t in c.tables
    }
    assert _selectable(client, principals["clinician_researcher"], contracts) == everything
    analyst = _selectable(client, principals["analyst"], contracts)
    unmasked = {
        t.name: {c.name for c in t.columns if c.classification in ("internal", "public")}
        for contract in contracts
        for t in contract.tables
    }
    assert analyst == {name: columns for name, columns in unmasked.items() if columns}
    assert "given_name" not in analyst["dim_patient"] and "gender" in analyst["dim_patient"]
    assert _selectable(client, principals["regional_analyst"], contracts) == {}
