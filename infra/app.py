"""The CDK app: `npx cdk synth -c stage=dev` (or `just synth`) runs this.

Context: `stage` (default `dev`) names the stack `healthlake-<stage>`; `imageTag` (default
`latest`) is the pipeline image's tag in the stack's ECR repository. The stack is
environment-agnostic: synthesis needs no AWS credentials, and `cdk deploy` takes the account and
region from the credentials it runs with.
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from healthlake_infra.nag import add_hipaa_checks
from healthlake_infra.stack import HealthlakeStack, tag

STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


def build(app: cdk.App) -> HealthlakeStack:
    """Add the stage's stack and the HIPAA checks to `app`; returns the stack."""
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


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
