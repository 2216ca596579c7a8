"""What `just deploy` checks before it calls `cdk deploy`, each failure as a one-line error.

    python -m healthlake_infra.preflight     # prints the region's S3 prefix list id

AWS_REGION must be set and credentials must be found (both checked without the network); then
the region's managed prefix list for S3 is looked up: the pipeline's security group allows HTTPS
to it (the S3 gateway endpoint) and to nothing outside the VPC.
"""

from __future__ import annotations

import os
import sys

from common.cli import OneLineParser, print_error
from common.errors import HealthlakeError

REGION_EXAMPLE = "export AWS_REGION=eu-west-1"


class PreflightError(HealthlakeError):
    """Deploying cannot start; the message says what to do."""

    exit_code = 1


def s3_prefix_list_id() -> str:
    """The id of `com.amazonaws.<region>.s3`, after checking region and credentials."""
    region = os.environ.get("AWS_REGION", "")
    if not region:
        raise PreflightError(
            f"AWS_REGION is not set: {REGION_EXAMPLE} (the region to deploy to) and run "
            "'just deploy' again"
        )
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:
        raise PreflightError(
            "no AWS credentials found: run 'aws configure sso' / 'aws sso login', or export "
            "AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), then 'just deploy'"
        )
    ec2 = session.client(
        "ec2", config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 1})
    )
    name = f"com.amazonaws.{region}.s3"
    try:
        lists = ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": [name]}]
        )["PrefixLists"]
    except (BotoCoreError, ClientError) as error:
        raise PreflightError(
            f"could not look up the S3 prefix list in {region}: {error}".replace("\n", " ")
        ) from error
    if not lists:
        raise PreflightError(f"no managed prefix list {name} in {region}: is the region right?")
    return str(lists[0]["PrefixListId"])


def main(argv: list[str] | None = None) -> int:
    """Check, print the prefix list id; return the exit status."""
    OneLineParser(prog="python -m healthlake_infra.preflight", description=__doc__).parse_args(argv)
    try:
        print(s3_prefix_list_id())
    except PreflightError as error:
        return print_error(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
