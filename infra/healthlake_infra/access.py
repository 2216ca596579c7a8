"""Least-privilege roles: loader, dbt, one reader per policy role, and the pipeline's own steps.

Every S3 permission names a prefix of a bucket (`layout`), every Glue permission names databases,
and each role's policy is a customer-managed policy (never inline) so it can be read on its own.

- loader: reads staging/ and bronze, writes iceberg/bronze.db/; Glue tables of bronze.
- dbt: reads bronze and the dbt layers, writes dbt/<layer>/ and evidence/*/dbt/; reads the
  bronze tables in Glue, writes those of silver, gold, omop, ops; queries in the workgroup.
- readers (one per role of contracts/policies.yml: clinician_researcher, analyst,
  regional_analyst): the Glue metadata of gold and omop and queries in the workgroup. None may
  read the product data in S3: Lake Formation hands Athena the data a reader's grants allow
  (healthlake_infra.governance), so a reader with S3 access would bypass its column grants.
- pipeline steps (generate, evidence): read and write staging/ and evidence/; no Glue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from healthlake_infra import layout

S3_READ = ("s3:GetObject", "s3:GetObjectVersion")
S3_WRITE = (
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
GLUE_READ = (
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetTableVersion",
    "glue:GetTableVersions",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
)
GLUE_WRITE = (
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:DeleteTable",
    "glue:BatchDeleteTable",
    "glue:DeleteTableVersion",
    "glue:BatchDeleteTableVersion",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
)
ATHENA_QUERY = (
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:GetQueryRuntimeStatistics",
    "athena:BatchGetQueryExecution",
    "athena:ListQueryExecutions",
    "athena:GetWorkGroup",
)
KMS_USE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
# Lake Formation's own API has no resource-level permissions: its grants are the control.
LAKE_FORMATION_DATA = ("lakeformation:GetDataAccess",)
# What dbt-athena calls to tag a table it built (lf_tags_config) and keep its data cell
# filters and their grants (lf_grants) as the model config says.
LAKE_FORMATION_DBT = (
    *LAKE_FORMATION_DATA,
    "lakeformation:GetResourceLFTags",
    "lakeformation:AddLFTagsToResource",
    "lakeformation:RemoveLFTagsFromResource",
    "lakeformation:ListDataCellsFilter",
    "lakeformation:CreateDataCellsFilter",
    "lakeformation:UpdateDataCellsFilter",
    "lakeformation:DeleteDataCellsFilter",
    "lakeformation:ListPermissions",
    "lakeformation:BatchGrantPermissions",
    "lakeformation:BatchRevokePermissions",
)


def pascal(name: str) -> str:
    """A snake_case name as a construct id part: regional_analyst -> RegionalAnalyst."""
    return "".join(part.capitalize() for part in name.split("_"))


def s3_read(bucket: s3.IBucket, prefixes: Sequence[str], sid: str) -> list[iam.PolicyStatement]:
    """Get objects under `prefixes` and list only those prefixes."""
    return [
        iam.PolicyStatement(
            sid=f"{sid}Objects",
            actions=list(S3_READ),
            resources=[bucket.arn_for_objects(f"{prefix}/*") for prefix in prefixes],
        ),
        iam.PolicyStatement(
            sid=f"{sid}List",
            actions=["s3:ListBucket", "s3:ListBucketVersions"],
            resources=[bucket.bucket_arn],
            conditions={
                "StringLike": {
                    "s3:prefix": [p for prefix in prefixes for p in (f"{prefix}/*", f"{prefix}/")]
                }
            },
        ),
        iam.PolicyStatement(
            sid=f"{sid}Location", actions=["s3:GetBucketLocation"], resources=[bucket.bucket_arn]
        ),
    ]


def s3_write(bucket: s3.IBucket, patterns: Sequence[str], sid: str) -> iam.PolicyStatement:
    """Put and delete objects whose keys match `patterns` (`prefix/*`)."""
    return iam.PolicyStatement(
        sid=sid,
        actions=list(S3_WRITE),
        resources=[bucket.arn_for_objects(pattern) for pattern in patterns],
    )


def glue_arns(databases: Iterable[str]) -> list[str]:
    """The catalog, the databases and their tables: what a Glue table call is authorized on."""
    stack_arn = f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    arns = [f"{stack_arn}:catalog"]
    for database in databases:
        arns += [f"{stack_arn}:database/{database}", f"{stack_arn}:table/{database}/*"]
    return arns


class Access(Construct):
    """The roles and their managed policies."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        lake: s3.IBucket,
        athena_results: s3.IBucket,
        key: kms.IKey,
        workgroup_name: str,
        reader_roles: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self._stage = stage
        tasks = iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        account = iam.AccountRootPrincipal()
        use_key = iam.PolicyStatement(
            sid="UseDataKey", actions=list(KMS_USE), resources=[key.key_arn]
        )
        workgroup_arn = Stack.of(self).format_arn(
            service="athena", resource="workgroup", resource_name=workgroup_name
        )
        athena_query = iam.PolicyStatement(
            sid="QueryInWorkgroup", actions=list(ATHENA_QUERY), resources=[workgroup_arn]
        )
        results = [
            *s3_read(athena_results, [layout.ATHENA_RESULTS_PREFIX], "ReadAthenaResults"),
            s3_write(athena_results, [f"{layout.ATHENA_RESULTS_PREFIX}/*"], "WriteAthenaResults"),
        ]
        bronze = layout.database_prefix(layout.BRONZE)
        layers = [layout.database_prefix(name) for name in layout.DBT_SCHEMAS]

        # Fargate runs the loader and dbt; people in the account may assume them too (running
        # `just load --catalog glue` or `dbt build --target athena` from a laptop) if their own
        # IAM policy allows sts:AssumeRole on them.
        self.loader = self._role(
            "Loader",
            "writes the Iceberg bronze tables (python -m iceberg load --catalog glue)",
            iam.CompositePrincipal(tasks, account),
            [
                use_key,
                *s3_read(lake, [bronze, layout.STAGING_PREFIX], "ReadBronzeAndStaged"),
                s3_write(lake, [f"{bronze}/*"], "WriteBronze"),
                iam.PolicyStatement(
                    sid="ReadWriteGlueBronze",
                    actions=[*GLUE_READ, *GLUE_WRITE],
                    resources=glue_arns([layout.BRONZE]),
                ),
                # PyIceberg's create_namespace_if_not_exists tries CreateDatabase and expects
                # AlreadyExists (the stack made the database); AccessDenied would fail the load.
                iam.PolicyStatement(
                    sid="EnsureBronzeDatabase",
                    actions=["glue:CreateDatabase"],
                    resources=glue_arns([layout.BRONZE])[:2],
                ),
            ],
        )
        self.dbt = self._role(
            "Dbt",
            "builds silver, gold, omop and ops from bronze (dbt build --target athena)",
            iam.CompositePrincipal(tasks, account),
            [
                use_key,
                athena_query,
                *results,
                *s3_read(lake, [bronze, *layers], "ReadLake"),
                s3_write(lake, [f"{layer}/*" for layer in layers], "WriteDbtLayers"),
                s3_write(lake, [f"{layout.EVIDENCE_PREFIX}/*/dbt/*"], "WriteDbtArtifacts"),
                iam.PolicyStatement(
                    sid="ReadGlueBronze",
                    actions=list(GLUE_READ),
                    resources=glue_arns([layout.BRONZE]),
                ),
                iam.PolicyStatement(
                    sid="ReadWriteGlueLayers",
                    actions=[*GLUE_READ, *GLUE_WRITE],
                    resources=glue_arns(layout.DBT_SCHEMAS),
                ),
                iam.PolicyStatement(
                    sid="TagAndFilterProducts", actions=list(LAKE_FORMATION_DBT), resources=["*"]
                ),
            ],
        )
        # One role per policy role: what each reads is Lake Formation's grants, not IAM's.
        self.readers = {
            role: self._role(
                pascal(role),
                f"queries gold and omop in Athena as {role} (Lake Formation grants)",
                account,
                [
                    use_key,
                    athena_query,
                    *results,
                    iam.PolicyStatement(
                        sid="ReadGlueGoldAndOmop",
                        actions=list(GLUE_READ),
                        resources=glue_arns(layout.PRODUCT_SCHEMAS),
                    ),
                    iam.PolicyStatement(
                        sid="LakeFormationData",
                        actions=list(LAKE_FORMATION_DATA),
                        resources=["*"],
                    ),
                    # What the Athena console lists before a query: names only, no data.
                    iam.PolicyStatement(
                        sid="AthenaConsoleListings",
                        actions=[
                            "athena:ListWorkGroups",
                            "athena:ListDataCatalogs",
                            "athena:ListEngineVersions",
                        ],
                        resources=["*"],
                    ),
                ],
            )
            for role in reader_roles
        }
        self.steps = self._role(
            "PipelineSteps",
            "runs the generate and evidence steps of the pipeline",
            tasks,
            [
                use_key,
                *s3_read(
                    lake, [layout.STAGING_PREFIX, layout.EVIDENCE_PREFIX], "ReadStagedAndEvidence"
                ),
                s3_write(
                    lake,
                    [f"{layout.STAGING_PREFIX}/*", f"{layout.EVIDENCE_PREFIX}/*"],
                    "WriteStagedAndEvidence",
                ),
            ],
        )

    def _role(
        self,
        name: str,
        purpose: str,
        principal: iam.IPrincipal,
        statements: list[iam.PolicyStatement],
    ) -> iam.Role:
        policy = iam.ManagedPolicy(
            self,
            f"{name}Policy",
            description=f"healthlake {self._stage} {name.lower()}: {purpose}",
            statements=statements,
        )
        return iam.Role(
            self,
            f"{name}Role",
            description=f"healthlake {self._stage}: {purpose}",
            assumed_by=principal,
            managed_policies=[policy],
        )
