"""Empty and delete what the stack of a stage made: `scripts/cleanup STAGE [--dry-run]` runs this.

CloudFormation cannot delete a bucket that holds objects or an ECR repository that holds images,
so this empties them first (every object version and delete marker: the buckets are versioned),
then deletes the stack and waits. S3 access logs keep arriving for a while after the last
request, so emptying and deleting is retried. The KMS key is scheduled for deletion (7 days) by
the stack delete, like every other resource of the stack.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from common.cli import OneLineParser
from common.errors import HealthlakeError
from healthlake_infra.layout import stack_name

ATTEMPTS = 3


class CleanupError(HealthlakeError):
    """The stage cannot be cleaned up; the message says why."""

    exit_code = 1


def stack_resources(cloudformation: Any, stack: str) -> list[dict[str, Any]]:
    """The stack's resources, or an error naming the stack when it does not exist."""
    try:
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
        return [item for page in pages for item in page["StackResourceSummaries"]]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            raise CleanupError(
                f"stack {stack} does not exist in this account and region"
            ) from error
        raise


def physical_ids(resources: list[dict[str, Any]], resource_type: str) -> list[str]:
    return [
        item["PhysicalResourceId"]
        for item in resources
        if item["ResourceType"] == resource_type
        and item.get("PhysicalResourceId")
        and item.get("ResourceStatus") != "DELETE_COMPLETE"
    ]


def empty_bucket(s3: Any, bucket: str, *, dry_run: bool) -> int:
    """Delete every version and delete marker in `bucket`; returns how many there were."""
    count = 0
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            batch = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for kind in ("Versions", "DeleteMarkers")
                for item in page.get(kind, [])
            ]
            count += len(batch)
            if batch and not dry_run:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    except s3.exceptions.NoSuchBucket:
        return 0
    return count


def empty_repository(ecr: Any, repository: str, *, dry_run: bool) -> int:
    """Delete every image in `repository`; returns how many there were."""
    try:
        ids = [
            image
            for page in ecr.get_paginator("list_images").paginate(repositoryName=repository)
            for image in page["imageIds"]
        ]
    except ecr.exceptions.RepositoryNotFoundException:
        return 0
    if ids and not dry_run:
        for start in range(0, len(ids), 100):
            ecr.batch_delete_image(repositoryName=repository, imageIds=ids[start : start + 100])
    return len(ids)


def empty_stack(session: Any, stack: str, *, dry_run: bool) -> list[str]:
    """Empty the stack's buckets and image repository; returns what was (or would be) done."""
    resources = stack_resources(session.client("cloudformation"), stack)
    s3 = session.client("s3")
    ecr = session.client("ecr")
    verb = "would delete" if dry_run else "deleted"
    done = []
    for bucket in physical_ids(resources, "AWS::S3::Bucket"):
        count = empty_bucket(s3, bucket, dry_run=dry_run)
        done.append(f"{verb} {count} object versions in s3://{bucket}")
    for repository in physical_ids(resources, "AWS::ECR::Repository"):
        count = empty_repository(ecr, repository, dry_run=dry_run)
        done.append(f"{verb} {count} images in ECR repository {repository}")
    return done


def cleanup(session: Any, stage: str, *, dry_run: bool, wait_seconds: int = 1800) -> list[str]:
    """Empty, then delete, the stack of `stage`; returns a line per action."""
    stack = stack_name(stage)
    cloudformation = session.client("cloudformation")
    lines: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        lines += empty_stack(session, stack, dry_run=dry_run)
        if dry_run:
            return [*lines, f"would delete stack {stack}"]
        cloudformation.delete_stack(StackName=stack)
        try:
            cloudformation.get_waiter("stack_delete_complete").wait(
                StackName=stack,
                WaiterConfig={"Delay": 15, "MaxAttempts": max(1, wait_seconds // 15)},
            )
        except Exception as error:  # botocore's WaiterError: the delete failed or timed out
            if attempt == ATTEMPTS:
                raise CleanupError(
                    f"stack {stack} was not deleted after {ATTEMPTS} attempts ({error}); see its "
                    "events in the CloudFormation console"
                ) from error
            time.sleep(30)
            continue
        return [*lines, f"deleted stack {stack}"]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="scripts/cleanup", description="Empty and delete the healthlake stack of a stage."
    )
    parser.add_argument("stage", help="the stage the stack was deployed with (dev, prod, ...)")
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted; change nothing"
    )
    args = parser.parse_args(argv)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        session = boto3.Session()
        if not session.region_name:
            raise CleanupError("AWS_REGION is not set: export the region the stack is in")
        if session.get_credentials() is None:
            raise NoCredentialsError()
        for line in cleanup(session, args.stage, dry_run=args.dry_run):
            print(line)
    except NoCredentialsError:
        print(
            "error: no AWS credentials found: log in (aws sso login) or export AWS_PROFILE",
            file=sys.stderr,
        )
        return 1
    except (CleanupError, BotoCoreError, ClientError) as error:
        # A waiter's or botocore's message can span lines; the error stays one.
        print(f"error: {error}".replace("\n", " "), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
