"""Lake Formation: the contracts' classifications as LF-tags, and each role's grants on them.

What a role may read is declared once, in contracts/ (the classifications of the columns) and
contracts/policies.yml (the masks and row filters of the roles); `contracts.lakeformation`
turns them into what Lake Formation grants, and this construct deploys it:

- data lake settings: the stack's CloudFormation execution role becomes a data lake
  administrator (appended: the account's own admins stay), which creating LF-tags and
  granting on them needs;
- the data locations of the products (dbt/gold/, dbt/omop/) registered with Lake Formation,
  read through a role of their own: Athena reads a product table with the credentials Lake
  Formation hands it for what the caller may see, and no reader role can read those prefixes
  in S3 itself (healthlake_infra.access);
- the LF-tags `classification` (phi, pii, internal, public) and `data_product` (one value per
  contract), which dbt-athena puts on the columns and tables as it builds them
  (`lf_tags_config`, from the same contracts);
- per role, SELECT on the LF-tag expression of the columns its policy leaves unmasked, and
  DESCRIBE on the product databases; a row-filtered role gets only the DESCRIBE here, its
  data cell filters (`lf_grants`) are made and granted by dbt on the tables they filter;
- the dbt role: ASSOCIATE on the LF-tags, table rights on the product databases and access to
  their data locations, which building, tagging and filtering the tables needs.

Lake Formation hides columns and rows; it cannot mask a value (docs/governance.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Aws, DefaultStackSynthesizer, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lakeformation as lakeformation
from aws_cdk import aws_s3 as s3
from constructs import Construct

from contracts.lakeformation import RoleGrants
from healthlake_infra import layout
from healthlake_infra.access import KMS_USE, S3_READ, S3_WRITE, pascal

# What the dbt role may do in a product database: create its tables, replace and drop them.
DBT_DATABASE_PERMISSIONS = ("CREATE_TABLE", "ALTER", "DROP", "DESCRIBE")


class LakeFormation(Construct):
    """LF settings, registered locations, LF-tags and the grants of every role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        lake: s3.IBucket,
        key: kms.IKey,
        tag_values: Mapping[str, Sequence[str]],
        grants: Mapping[str, RoleGrants],
        readers: Mapping[str, iam.IRole],
        dbt: iam.IRole,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stage = stage
        self.settings = self._settings()
        self.locations = self._register_locations(lake, key)
        self.tags = {
            tag_key: lakeformation.CfnTag(
                self,
                f"Tag{pascal(tag_key)}",
                catalog_id=Aws.ACCOUNT_ID,
                tag_key=tag_key,
                tag_values=list(values),
            )
            for tag_key, values in tag_values.items()
        }
        for tag in self.tags.values():
            tag.node.add_dependency(self.settings)
        for role_name, granted in grants.items():
            self._grant_reader(pascal(role_name), readers[role_name], granted)
        self._grant_dbt(dbt, tag_values)

    def _settings(self) -> lakeformation.CfnDataLakeSettings:
        synthesizer = Stack.of(self).synthesizer
        if not isinstance(synthesizer, DefaultStackSynthesizer):
            raise TypeError("the Lake Formation admin is the default synthesizer's deploy role")
        return lakeformation.CfnDataLakeSettings(
            self,
            "Settings",
            mutation_type="APPEND",
            admins=[
                lakeformation.CfnDataLakeSettings.DataLakePrincipalProperty(
                    data_lake_principal_identifier=Fn.sub(
                        synthesizer.cloud_formation_execution_role_arn
                    )
                )
            ],
        )

    def _register_locations(
        self, lake: s3.IBucket, key: kms.IKey
    ) -> dict[str, lakeformation.CfnResource]:
        prefixes = [layout.database_prefix(name) for name in layout.PRODUCT_SCHEMAS]
        role = iam.Role(
            self,
            "LocationsRole",
            description=f"healthlake {self._stage}: Lake Formation reads and writes the "
            "product data (dbt/gold, dbt/omop) for the principals it grants",
            assumed_by=iam.ServicePrincipal("lakeformation.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy(
                    self,
                    "LocationsPolicy",
                    description=f"healthlake {self._stage} lake formation locations: the "
                    "product prefixes of the data lake",
                    statements=[
                        iam.PolicyStatement(
                            sid="UseDataKey", actions=list(KMS_USE), resources=[key.key_arn]
                        ),
                        iam.PolicyStatement(
                            sid="ReadWriteProducts",
                            actions=[*S3_READ, *S3_WRITE],
                            resources=[lake.arn_for_objects(f"{p}/*") for p in prefixes],
                        ),
                        iam.PolicyStatement(
                            sid="ListProducts",
                            actions=["s3:ListBucket"],
                            resources=[lake.bucket_arn],
                            conditions={
                                "StringLike": {
                                    "s3:prefix": [x for p in prefixes for x in (f"{p}/*", f"{p}/")]
                                }
                            },
                        ),
                    ],
                )
            ],
        )
        return {
            prefix: lakeformation.CfnResource(
                self,
                f"Location{pascal(prefix.replace('/', '_'))}",
                resource_arn=lake.arn_for_objects(prefix),
                role_arn=role.role_arn,
                use_service_linked_role=False,
            )
            for prefix in prefixes
        }

    def _grant(
        self,
        construct_id: str,
        principal: iam.IRole,
        permissions: Sequence[str],
        resource: lakeformation.CfnPrincipalPermissions.ResourceProperty,
    ) -> lakeformation.CfnPrincipalPermissions:
        grant = lakeformation.CfnPrincipalPermissions(
            self,
            construct_id,
            principal=lakeformation.CfnPrincipalPermissions.DataLakePrincipalProperty(
                data_lake_principal_identifier=principal.role_arn
            ),
            permissions=list(permissions),
            permissions_with_grant_option=[],
            resource=resource,
        )
        grant.node.add_dependency(self.settings)
        for tag in self.tags.values():
            grant.node.add_dependency(tag)
        return grant

    def _on_databases(self, name: str, principal: iam.IRole, permissions: Sequence[str]) -> None:
        for database in layout.PRODUCT_SCHEMAS:
            self._grant(
                f"{name}{pascal(database)}Database",
                principal,
                permissions,
                lakeformation.CfnPrincipalPermissions.ResourceProperty(
                    database=lakeformation.CfnPrincipalPermissions.DatabaseResourceProperty(
                        catalog_id=Aws.ACCOUNT_ID, name=database
                    )
                ),
            )

    def _grant_reader(self, name: str, role: iam.IRole, granted: RoleGrants) -> None:
        self._on_databases(name, role, ["DESCRIBE"])
        if granted.expression is None:
            return
        self._grant(
            f"{name}Columns",
            role,
            ["SELECT", "DESCRIBE"],
            lakeformation.CfnPrincipalPermissions.ResourceProperty(
                lf_tag_policy=lakeformation.CfnPrincipalPermissions.LFTagPolicyResourceProperty(
                    catalog_id=Aws.ACCOUNT_ID,
                    resource_type="TABLE",
                    expression=[
                        lakeformation.CfnPrincipalPermissions.LFTagProperty(
                            tag_key=tag_key, tag_values=list(values)
                        )
                        for tag_key, values in granted.expression.items()
                    ],
                )
            ),
        )

    def _grant_dbt(self, dbt: iam.IRole, tag_values: Mapping[str, Sequence[str]]) -> None:
        for tag_key, values in tag_values.items():
            self._grant(
                f"DbtAssociates{pascal(tag_key)}",
                dbt,
                ["ASSOCIATE", "DESCRIBE"],
                lakeformation.CfnPrincipalPermissions.ResourceProperty(
                    lf_tag=lakeformation.CfnPrincipalPermissions.LFTagKeyResourceProperty(
                        catalog_id=Aws.ACCOUNT_ID, tag_key=tag_key, tag_values=list(values)
                    )
                ),
            )
        self._on_databases("Dbt", dbt, DBT_DATABASE_PERMISSIONS)
        for prefix, location in self.locations.items():
            grant = self._grant(
                f"DbtLocation{pascal(prefix.replace('/', '_'))}",
                dbt,
                ["DATA_LOCATION_ACCESS"],
                lakeformation.CfnPrincipalPermissions.ResourceProperty(
                    data_location=lakeformation.CfnPrincipalPermissions.DataLocationResourceProperty(
                        catalog_id=Aws.ACCOUNT_ID, resource_arn=location.resource_arn
                    )
                ),
            )
            grant.node.add_dependency(location)
