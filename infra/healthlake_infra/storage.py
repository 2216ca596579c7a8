"""The customer-managed key, the data lake and Athena results buckets, their access-log bucket."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from healthlake_infra import layout
from healthlake_infra.nag import acknowledge

# Old object versions are kept this long before they expire: enough to undo a bad load or build.
NONCURRENT_VERSION_DAYS = 30
ATHENA_RESULTS_DAYS = 30
ACCESS_LOG_DAYS = 365
NO_REPLICATION = (
    "Synthetic data in a single-region sandbox: versioning plus the noncurrent-version lifecycle "
    "protect against deletion; cross-region replication would double storage cost for data that "
    "can be regenerated from a seed."
)


class Storage(Construct):
    """One KMS key (rotated yearly) and three buckets: data lake, Athena results, access logs."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"healthlake {stage}: data lake, Athena results, logs, pipeline, alerts",
            alias=f"alias/{layout.PROJECT}-{stage}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # CloudWatch Logs encrypts the log groups with the key; CloudWatch alarms publish to the
        # encrypted SNS topic. Both act as service principals, limited to this account.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryptLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access log delivery writes only to buckets encrypted with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(ACCESS_LOG_DAYS),
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(self.access_logs, "HIPAA.Security-S3BucketReplicationEnabled", NO_REPLICATION)
        acknowledge(
            self.access_logs,
            "HIPAA.Security-S3BucketLoggingEnabled",
            "This is the server access log target; logging it to itself would log its own log "
            "deliveries without end.",
        )
        acknowledge(
            self.access_logs,
            "HIPAA.Security-S3DefaultEncryptionKMS",
            "S3 server access log delivery only supports target buckets encrypted with SSE-S3; "
            "access logs hold request metadata, not data.",
        )

        self.lake = self._data_bucket(
            "DataLake",
            log_prefix="data-lake/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                    expired_object_delete_marker=True,
                ),
                s3.LifecycleRule(
                    id="expire-staged-generated-files",
                    prefix=f"{layout.STAGING_PREFIX}/",
                    expiration=Duration.days(7),
                ),
                s3.LifecycleRule(
                    id="evidence-to-infrequent-access",
                    prefix=f"{layout.EVIDENCE_PREFIX}/",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(90),
                        )
                    ],
                ),
            ],
        )
        self.athena_results = self._data_bucket(
            "AthenaResults",
            log_prefix="athena-results/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-query-results",
                    expiration=Duration.days(ATHENA_RESULTS_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )

    def _data_bucket(
        self, construct_id: str, *, log_prefix: str, lifecycle_rules: list[s3.LifecycleRule]
    ) -> s3.Bucket:
        """A versioned, KMS-encrypted, TLS-only, private bucket that logs its access."""
        bucket = s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=lifecycle_rules,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=log_prefix,
            # scripts/cleanup empties the bucket (every version) before the stack is deleted.
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Default encryption covers writes that send no encryption header (PyIceberg, PyArrow);
        # these deny the writes that ask for something weaker or for another key. A deny on a
        # missing header would break every client that relies on default encryption.
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyUploadsNotEncryptedWithKms",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                },
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyUploadsWithAnotherKmsKey",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEquals": {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": self.key.key_arn
                    },
                    "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                },
            )
        )
        acknowledge(bucket, "HIPAA.Security-S3BucketReplicationEnabled", NO_REPLICATION)
        return bucket
