"""The healthlake AWS stack as code (AWS CDK v2) and the helpers that run beside it.

`layout` names the buckets' prefixes and the Glue databases; `stack` assembles the constructs
(`storage`, `catalog`, `access`, `network`, `pipeline`); `pipeline_step` is what the container
image runs for each step of the Step Functions pipeline; `preflight` and `cleanup` serve
`just deploy` and `scripts/cleanup`. Importing this package imports nothing from the CDK, so the
pipeline image runs `pipeline_step` without it.
"""
