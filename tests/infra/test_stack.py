"""The synthesized template has the properties issue 6 asks of the AWS stack."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from healthlake_infra import layout
from healthlake_infra.catalog import BYTES_SCANNED_CUTOFF_PER_QUERY
from tests.infra.conftest import Synthesized

KEY = {"Fn::GetAtt": [Match.string_like_regexp("^StorageKey"), "Arn"]}


def text(value: Any) -> str:
    """A template fragment as one string, intrinsic functions included, to search in."""
    return json.dumps(value, sort_keys=True)


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def state_machine_definition(synthesized: Synthesized) -> dict[str, Any]:
    """The state machine's ASL, with CloudFormation references replaced by a placeholder."""
    (machine,) = synthesized.resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return dict(json.loads("".join(p if isinstance(p, str) else "REF" for p in parts)))


# --- storage -------------------------------------------------------------------------------


def test_key_is_customer_managed_and_rotated(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::KMS::Key", 1)
    synthesized.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


@pytest.mark.parametrize("bucket", ["StorageDataLake", "StorageAthenaResults"])
def test_data_buckets_are_encrypted_with_the_key(synthesized: Synthesized, bucket: str) -> None:
    properties = synthesized.only("AWS::S3::Bucket", bucket)["Properties"]
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "StorageKey" in text(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"])
    assert rule["BucketKeyEnabled"] is True


def test_every_bucket_is_private_versioned_with_lifecycle(synthesized: Synthesized) -> None:
    buckets = synthesized.resources("AWS::S3::Bucket")
    assert len(buckets) == 3
    for logical_id, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id
        rules = properties["LifecycleConfiguration"]["Rules"]
        assert rules and all(rule["Status"] == "Enabled" for rule in rules), logical_id
        assert properties["OwnershipControls"]["Rules"] == [
            {"ObjectOwnership": "BucketOwnerEnforced"}
        ]


def test_lake_lifecycle_expires_old_versions_and_staged_files(synthesized: Synthesized) -> None:
    rules = synthesized.only("AWS::S3::Bucket", "StorageDataLake")["Properties"][
        "LifecycleConfiguration"
    ]["Rules"]
    by_id = {rule["Id"]: rule for rule in rules}
    assert by_id["expire-old-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert by_id["expire-staged-generated-files"]["Prefix"] == f"{layout.STAGING_PREFIX}/"
    assert by_id["evidence-to-infrequent-access"]["Transitions"][0]["StorageClass"] == "STANDARD_IA"


@pytest.mark.parametrize(
    ("bucket", "prefix"),
    [("StorageDataLake", "data-lake/"), ("StorageAthenaResults", "athena-results/")],
)
def test_data_buckets_log_access_to_the_log_bucket(
    synthesized: Synthesized, bucket: str, prefix: str
) -> None:
    logging = synthesized.only("AWS::S3::Bucket", bucket)["Properties"]["LoggingConfiguration"]
    assert "StorageAccessLogs" in text(logging["DestinationBucketName"])
    assert logging["LogFilePrefix"] == prefix


def test_every_bucket_policy_denies_plain_http(synthesized: Synthesized) -> None:
    policies = synthesized.resources("AWS::S3::BucketPolicy")
    assert len(policies) == 3
    for logical_id, policy in policies.items():
        tls = [
            s
            for s in statements(policy)
            if s["Effect"] == "Deny"
            and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert tls and tls[0]["Action"] == "s3:*", logical_id


@pytest.mark.parametrize("bucket", ["StorageDataLakePolicy", "StorageAthenaResultsPolicy"])
def test_data_bucket_policies_deny_uploads_not_encrypted_with_the_key(
    synthesized: Synthesized, bucket: str
) -> None:
    by_sid = {
        s.get("Sid"): s for s in statements(synthesized.only("AWS::S3::BucketPolicy", bucket))
    }
    weaker = by_sid["DenyUploadsNotEncryptedWithKms"]
    assert weaker["Effect"] == "Deny" and weaker["Action"] == "s3:PutObject"
    assert weaker["Condition"]["StringNotEquals"] == {"s3:x-amz-server-side-encryption": "aws:kms"}
    other_key = by_sid["DenyUploadsWithAnotherKmsKey"]
    assert other_key["Effect"] == "Deny"
    assert "StorageKey" in text(other_key["Condition"]["StringNotEquals"])


# --- catalog -------------------------------------------------------------------------------


def test_glue_databases_match_the_schemas(synthesized: Synthesized) -> None:
    databases = {
        d["Properties"]["DatabaseInput"]["Name"]: d["Properties"]["DatabaseInput"]
        for d in synthesized.resources("AWS::Glue::Database").values()
    }
    assert sorted(databases) == sorted(["bronze", "silver", "gold", "omop", "ops"])
    assert "/iceberg/bronze.db/" in text(databases["bronze"]["LocationUri"])
    assert "/dbt/gold/" in text(databases["gold"]["LocationUri"])


def test_workgroup_enforces_encrypted_results_and_caps_bytes_scanned(
    synthesized: Synthesized,
) -> None:
    synthesized.template.has_resource_properties(
        "AWS::Athena::WorkGroup",
        {
            "Name": "healthlake-dev",
            "WorkGroupConfiguration": {
                "EnforceWorkGroupConfiguration": True,
                "BytesScannedCutoffPerQuery": BYTES_SCANNED_CUTOFF_PER_QUERY,
                "ResultConfiguration": {
                    "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": KEY}
                },
            },
        },
    )


# --- IAM -----------------------------------------------------------------------------------


def role_policy(synthesized: Synthesized, role: str) -> list[dict[str, Any]]:
    return statements(synthesized.only("AWS::IAM::ManagedPolicy", f"Access{role}Policy"))


def actions_on(statements_: list[dict[str, Any]], prefix: str) -> list[tuple[str, str]]:
    """(action, resource) pairs for actions starting with `prefix`, resources as text."""
    return [
        (action, text(resource))
        for s in statements_
        for action in as_list(s["Action"])
        if action.startswith(prefix)
        for resource in as_list(s["Resource"])
    ]


def s3_writes(statements_: list[dict[str, Any]]) -> set[str]:
    return {
        re.sub(r'.*"/([^"]*)".*', r"\1", resource)
        for action, resource in actions_on(statements_, "s3:")
        if action in ("s3:PutObject", "s3:DeleteObject")
    }


def test_no_policy_grants_admin_or_service_wide_access(synthesized: Synthesized) -> None:
    for policy_type in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for logical_id, policy in synthesized.resources(policy_type).items():
            for statement in statements(policy):
                for action in as_list(statement["Action"]):
                    assert action != "*" and not action.endswith(":*"), (logical_id, action)


def test_loader_writes_bronze_only(synthesized: Synthesized) -> None:
    policy = role_policy(synthesized, "Loader")
    assert s3_writes(policy) == {"iceberg/bronze.db/*"}
    glue = actions_on(policy, "glue:")
    assert glue and all(
        resource.endswith((':catalog"]]}', ':database/bronze"]]}', ':table/bronze/*"]]}'))
        for _, resource in glue
    )


def test_dbt_reads_bronze_and_writes_the_dbt_layers(synthesized: Synthesized) -> None:
    policy = role_policy(synthesized, "Dbt")
    assert s3_writes(policy) == {
        "dbt/silver/*",
        "dbt/gold/*",
        "dbt/omop/*",
        "dbt/ops/*",
        "evidence/*/dbt/*",
        "athena-results/*",
    }
    reads = {resource for action, resource in actions_on(policy, "s3:GetObject")}
    assert any("iceberg/bronze.db/*" in r for r in reads)
    glue_writes = [r for a, r in actions_on(policy, "glue:") if a == "glue:CreateTable"]
    assert glue_writes and not any("bronze" in r for r in glue_writes)


@pytest.mark.parametrize("role", ["ClinicianResearcher", "Analyst", "RegionalAnalyst"])
def test_readers_query_gold_and_omop_through_lake_formation_only(
    synthesized: Synthesized, role: str
) -> None:
    policy = role_policy(synthesized, role)
    assert s3_writes(policy) == {"athena-results/*"}
    # No read of the lake itself: Lake Formation hands Athena what the role's grants allow,
    # and an S3 read would bypass its column grants.
    lake = [r for _, r in actions_on(policy, "s3:") if "StorageDataLake" in r]
    assert lake == []
    assert ("lakeformation:GetDataAccess", '"*"') in actions_on(policy, "lakeformation:")
    glue = {r for _, r in actions_on(policy, "glue:")}
    assert not any(("bronze" in r or "silver" in r) for r in glue)
    assert not actions_on(policy, "glue:Create") and not actions_on(policy, "glue:Delete")


def test_s3_listing_is_limited_to_prefixes(synthesized: Synthesized) -> None:
    for role in ("Loader", "Dbt", "Analyst", "RegionalAnalyst", "PipelineSteps"):
        for statement in role_policy(synthesized, role):
            if "s3:ListBucket" in as_list(statement["Action"]):
                assert statement["Condition"]["StringLike"]["s3:prefix"], role


# --- pipeline ------------------------------------------------------------------------------


def test_state_machine_runs_the_four_steps_with_retries_and_a_catch(
    synthesized: Synthesized,
) -> None:
    definition = state_machine_definition(synthesized)
    states = definition["States"]
    order = []
    name = definition["StartAt"]
    while name in states and "Next" in states[name]:
        order.append(name)
        name = states[name]["Next"]
    assert order[-4:] == ["Generate", "Load", "Build", "Evidence"]
    for step in ("Generate", "Load", "Build", "Evidence"):
        state = states[step]
        assert state["Resource"].endswith(":states:::ecs:runTask.sync")
        assert all(retry["BackoffRate"] > 1 for retry in state["Retry"])
        assert {e for retry in state["Retry"] for e in retry["ErrorEquals"]} >= {
            "ECS.AmazonECSException",
            "States.TaskFailed",
        }
        assert state["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailure"}
        ]
        (override,) = state["Parameters"]["Overrides"]["ContainerOverrides"]
        assert {"Name": "PIPELINE_RUN_ID", "Value.$": "$$.Execution.Name"} in override[
            "Environment"
        ]
        assert state["Parameters"]["LaunchType"] == "FARGATE"
    assert states["NotifyFailure"]["Resource"].endswith(":states:::sns:publish")
    assert states[states["NotifyFailure"]["Next"]]["Type"] == "Fail"


def test_state_machine_is_encrypted_logged_and_traced(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "EncryptionConfiguration": {"Type": "CUSTOMER_MANAGED_KMS_KEY"},
            "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": False},
            "TracingConfiguration": {"Enabled": True},
        },
    )


def test_tasks_run_in_isolated_subnets_without_public_ips(synthesized: Synthesized) -> None:
    definition = state_machine_definition(synthesized)
    vpc = synthesized.resources("AWS::EC2::VPC")
    assert len(vpc) == 1
    synthesized.template.resource_count_is("AWS::EC2::NatGateway", 0)
    synthesized.template.resource_count_is("AWS::EC2::InternetGateway", 0)
    for subnet in synthesized.resources("AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
    for step in ("Generate", "Load", "Build", "Evidence"):
        network = definition["States"][step]["Parameters"]["NetworkConfiguration"]
        assert network["AwsvpcConfiguration"].get("AssignPublicIp", "DISABLED") == "DISABLED"


def test_task_definitions_are_fargate_with_read_only_root_and_own_roles(
    synthesized: Synthesized,
) -> None:
    definitions = synthesized.resources("AWS::ECS::TaskDefinition")
    assert len(definitions) == 3
    roles = set()
    for definition in definitions.values():
        properties = definition["Properties"]
        assert properties["RequiresCompatibilities"] == ["FARGATE"]
        assert properties["NetworkMode"] == "awsvpc"
        (container,) = properties["ContainerDefinitions"]
        assert container["ReadonlyRootFilesystem"] is True
        assert container["LogConfiguration"]["LogDriver"] == "awslogs"
        assert "PipelineRepository" in text(container["Image"])
        roles.add(text(properties["TaskRoleArn"]))
    assert len(roles) == 3


def test_vpc_endpoints(synthesized: Synthesized) -> None:
    endpoints = synthesized.resources("AWS::EC2::VPCEndpoint").values()
    services = {
        text(e["Properties"]["ServiceName"]).split(".")[-1].rstrip('"]}'): e["Properties"].get(
            "VpcEndpointType"
        )
        for e in endpoints
    }
    assert services == {
        "s3": "Gateway",
        "glue": "Interface",
        "athena": "Interface",
        "sts": "Interface",
        "api": "Interface",
        "dkr": "Interface",
        "logs": "Interface",
    }
    for endpoint in endpoints:
        if endpoint["Properties"]["VpcEndpointType"] == "Interface":
            assert endpoint["Properties"]["PrivateDnsEnabled"] is True


def test_task_security_group_egress_reaches_only_the_endpoints(synthesized: Synthesized) -> None:
    task_group = synthesized.only("AWS::EC2::SecurityGroup", "NetworkTaskSecurityGroup")
    egress = task_group["Properties"]["SecurityGroupEgress"]
    assert [(rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) for rule in egress] == [
        ("tcp", 443, 443)
    ] * 2
    assert "NetworkEndpointSecurityGroup" in text(egress[0]["DestinationSecurityGroupId"])
    assert egress[1]["DestinationPrefixListId"] == {"Ref": "S3PrefixListId"}
    # No other egress anywhere: separate egress resources would keep EC2's allow-all default.
    synthesized.template.resource_count_is("AWS::EC2::SecurityGroupEgress", 0)
    for logical_id, group in synthesized.resources("AWS::EC2::SecurityGroup").items():
        for rule in group["Properties"].get("SecurityGroupEgress", []):
            assert rule.get("CidrIp") in (None, "255.255.255.255/32"), logical_id
    (ingress,) = synthesized.resources("AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"]["FromPort"] == 443
    assert "NetworkTaskSecurityGroup" in text(ingress["Properties"]["SourceSecurityGroupId"])


def test_log_groups_have_retention_and_the_key(synthesized: Synthesized) -> None:
    log_groups = synthesized.resources("AWS::Logs::LogGroup")
    assert len(log_groups) == 3
    for logical_id, group in log_groups.items():
        assert group["Properties"]["RetentionInDays"] == 365, logical_id
        assert "StorageKey" in text(group["Properties"]["KmsKeyId"]), logical_id


def test_alarms_on_failed_executions_and_tasks_notify_the_topic(synthesized: Synthesized) -> None:
    alarms = synthesized.resources("AWS::CloudWatch::Alarm")
    metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
    assert {"ExecutionsFailed", "ExecutionsTimedOut", "dev-pipeline-failed-tasks"} <= metrics
    for alarm in alarms.values():
        (action,) = alarm["Properties"]["AlarmActions"]
        assert "PipelineAlerts" in text(action)
    (metric_filter,) = synthesized.resources("AWS::Logs::MetricFilter").values()
    assert "TaskFailed" in metric_filter["Properties"]["FilterPattern"]


def test_alert_topic_is_encrypted(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": KEY})


def test_everything_taggable_is_tagged(synthesized: Synthesized) -> None:
    expected = {"Project": "healthlake", "Environment": "dev", "ManagedBy": "aws-cdk"}
    tagged = 0
    for logical_id, resource in synthesized.json["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is None:
            continue
        tagged += 1
        pairs = {t["Key"]: t["Value"] for t in tags} if isinstance(tags, list) else tags
        assert {k: pairs.get(k) for k in expected} == expected, logical_id
    assert tagged >= 30


def test_no_account_ids_or_fixed_bucket_names(synthesized: Synthesized) -> None:
    body = text(synthesized.json)
    assert not re.search(r"\b\d{12}\b", body)
    for bucket in synthesized.resources("AWS::S3::Bucket").values():
        assert "BucketName" not in bucket["Properties"]


def test_stage_names_the_stack_and_is_validated() -> None:
    import aws_cdk as cdk

    from healthlake_infra.stack import stage_stack

    with pytest.raises(SystemExit, match="stage 'Prod_1'"):
        stage_stack(cdk.App(context={"stage": "Prod_1"}))
