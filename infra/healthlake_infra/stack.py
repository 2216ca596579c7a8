"""The healthlake stack of one stage: storage, catalog, access, Lake Formation, network and the
pipeline."""

from __future__ import annotations

import re

from aws_cdk import App, Aws, CfnOutput, CfnParameter, Stack, Tags
from aws_cdk import aws_logs as logs
from constructs import Construct

from contracts.lakeformation import lf_tag_values, principal_variable, role_grants
from contracts.model import contract_paths, load
from contracts.policies import check_against_contracts, load_policies
from healthlake_infra import layout
from healthlake_infra.access import Access, pascal
from healthlake_infra.catalog import Catalog
from healthlake_infra.governance import LakeFormation
from healthlake_infra.nag import add_hipaa_checks
from healthlake_infra.network import Network
from healthlake_infra.pipeline import Pipeline, PipelineRoles
from healthlake_infra.storage import Storage

# A year of logs: long enough for a HIPAA-style audit trail, cheap at the pipeline's volume.
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


def stage_stack(app: App) -> HealthlakeStack:
    """Add the stack of the stage `app`'s context names, and the HIPAA checks, to `app`.

    Context: `stage` (default `dev`), `imageTag` (default `latest`).
    """
    stage = str(app.node.try_get_context("stage") or "dev")
    if not STAGE_PATTERN.match(stage):
        raise SystemExit(
            f"error: stage {stage!r} must be 1-20 lowercase letters, digits or '-', starting "
            "with a letter (it names the stack, the workgroup and the state machine)"
        )
    image_tag = str(app.node.try_get_context("imageTag") or "latest")
    stack = HealthlakeStack(app, stage=stage, image_tag=image_tag)
    tag(app, stage)
    add_hipaa_checks(app)
    return stack


def tag(scope: Construct, stage: str) -> None:
    """Tag everything under `scope` with the project, the stage and what manages it."""
    Tags.of(scope).add("Project", layout.PROJECT)
    Tags.of(scope).add("Environment", stage)
    Tags.of(scope).add("ManagedBy", "aws-cdk")


def output_key(variable: str) -> str:
    """The stack output that holds an environment variable's value: HEALTHLAKE_S3_BUCKET ->
    HealthlakeS3Bucket (output names must be alphanumeric)."""
    return "".join(part.capitalize() for part in variable.split("_"))


class HealthlakeStack(Stack):
    """Everything one stage (`dev`, `prod`, ...) of healthlake needs on AWS."""

    def __init__(self, scope: Construct, *, stage: str, image_tag: str) -> None:
        super().__init__(
            scope,
            layout.stack_name(stage),
            description=f"healthlake {stage}: lakehouse on S3, Glue Iceberg and Athena, "
            "with its Fargate pipeline",
        )
        tag(self, stage)
        s3_prefix_list = CfnParameter(
            self,
            "S3PrefixListId",
            type="String",
            allowed_pattern=r"^pl-[0-9a-f]{8,17}$",
            description="The region's managed prefix list for S3 (com.amazonaws.<region>.s3); "
            "`just deploy` looks it up",
        )
        storage = Storage(self, "Storage", stage=stage)
        catalog = Catalog(
            self,
            "Catalog",
            stage=stage,
            lake=storage.lake,
            athena_results=storage.athena_results,
            key=storage.key,
        )
        # Who may read what: the contracts and policies, the one source of both engines.
        contracts = [load(path) for path in contract_paths()]
        policies = load_policies()
        check_against_contracts(policies, contracts)
        grants = role_grants(policies, contracts)
        access = Access(
            self,
            "Access",
            stage=stage,
            lake=storage.lake,
            athena_results=storage.athena_results,
            key=storage.key,
            workgroup_name=catalog.workgroup_name,
            reader_roles=list(policies.roles),
        )
        LakeFormation(
            self,
            "LakeFormation",
            stage=stage,
            lake=storage.lake,
            key=storage.key,
            tag_values=lf_tag_values(contracts),
            grants=grants,
            readers=access.readers,
            dbt=access.dbt,
        ).node.add_dependency(catalog)
        network = Network(
            self,
            "Network",
            key=storage.key,
            log_retention=LOG_RETENTION,
            s3_prefix_list_id=s3_prefix_list,
        )
        # The same settings profiles/profiles.yml and profiles/catalogs.yml read on a laptop.
        environment = {
            "AWS_REGION": Aws.REGION,
            "HEALTHLAKE_S3_BUCKET": storage.lake.bucket_name,
            "HEALTHLAKE_ATHENA_WORKGROUP": catalog.workgroup_name,
            "HEALTHLAKE_ATHENA_S3_STAGING_DIR": storage.athena_results.s3_url_for_object(
                f"{layout.ATHENA_RESULTS_PREFIX}/"
            ),
            "HEALTHLAKE_ATHENA_S3_DATA_DIR": storage.lake.s3_url_for_object(
                f"{layout.DBT_DATA_PREFIX}/"
            ),
            # The principals dbt grants its data cell filters to (lf_grants in the model yml).
            **{
                principal_variable(role): access.readers[role].role_arn
                for role, granted in grants.items()
                if granted.row_filters
            },
        }
        pipeline = Pipeline(
            self,
            "Pipeline",
            stage=stage,
            image_tag=image_tag,
            key=storage.key,
            log_retention=LOG_RETENTION,
            vpc=network.vpc,
            security_group=network.task_security_group,
            roles=PipelineRoles(steps=access.steps, loader=access.loader, dbt=access.dbt),
            environment=environment,
        )
        for name, value in environment.items():
            if name != "AWS_REGION":
                CfnOutput(self, output_key(name), value=value, description=f"export {name}=...")
        outputs = {
            "StateMachineArn": pipeline.state_machine.state_machine_arn,
            "RepositoryUri": pipeline.repository.repository_uri,
            "ImageTag": image_tag,
            "AlertsTopicArn": pipeline.alerts.topic_arn,
            "LoaderRoleArn": access.loader.role_arn,
            "DbtRoleArn": access.dbt.role_arn,
            **{
                f"{pascal(role)}RoleArn": reader.role_arn for role, reader in access.readers.items()
            },
            "AthenaResultsBucket": storage.athena_results.bucket_name,
            "AccessLogsBucket": storage.access_logs.bucket_name,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
