"""The Glue databases (one per schema) and the Athena workgroup that dbt and analysts use."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from healthlake_infra import layout

# A query that would scan more than this is cancelled: 10 GiB is about $0.05 at Athena's
# $5 per TiB, far above anything the synthetic lakehouse needs and low enough to stop a runaway.
BYTES_SCANNED_CUTOFF_PER_QUERY = 10 * 1024**3


class Catalog(Construct):
    """Glue databases bronze, silver, gold, omop, ops and an enforced, encrypted workgroup."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        lake: s3.IBucket,
        athena_results: s3.IBucket,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.databases: dict[str, glue.CfnDatabase] = {}
        for name in layout.DATABASES:
            self.databases[name] = glue.CfnDatabase(
                self,
                f"Database{name.capitalize()}",
                catalog_id=Aws.ACCOUNT_ID,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=name,
                    description=f"healthlake {stage}: the {name} layer",
                    location_uri=lake.s3_url_for_object(f"{layout.database_prefix(name)}/"),
                    # The products are Lake Formation's to guard: their new tables grant
                    # nothing to IAM_ALLOWED_PRINCIPALS, the default that would let any IAM
                    # policy read them (healthlake_infra.governance).
                    create_table_default_permissions=[] if name in layout.PRODUCT_SCHEMAS else None,
                ),
            )
        self.workgroup = athena.CfnWorkGroup(
            self,
            "Workgroup",
            name=f"{layout.PROJECT}-{stage}",
            description=f"healthlake {stage}: dbt builds and analyst queries",
            state="ENABLED",
            # Delete the workgroup with its saved queries when the stack is deleted.
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF_PER_QUERY,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=athena_results.s3_url_for_object(
                        f"{layout.ATHENA_RESULTS_PREFIX}/"
                    ),
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                    expected_bucket_owner=Aws.ACCOUNT_ID,
                ),
            ),
        )

    @property
    def workgroup_name(self) -> str:
        """The workgroup's name (HEALTHLAKE_ATHENA_WORKGROUP)."""
        return self.workgroup.ref
