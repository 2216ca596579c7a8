"""The CDK app: `npx cdk synth -c stage=dev` (or `just synth`) runs this.

Context: `stage` (default `dev`) names the stack `healthlake-<stage>`; `imageTag` (default
`latest`) is the pipeline image's tag in the stack's ECR repository. The stack is
environment-agnostic: synthesis needs no AWS credentials, and `cdk deploy` takes the account and
region from the credentials it runs with. The stack of the stage is
`healthlake_infra.stack.stage_stack`.
"""

from __future__ import annotations

import aws_cdk as cdk

from healthlake_infra.stack import stage_stack

if __name__ == "__main__":
    app = cdk.App()
    stage_stack(app)
    app.synth()
