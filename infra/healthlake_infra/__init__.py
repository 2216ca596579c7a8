"""The healthlake AWS stack as code (AWS CDK v2).

`layout` names the buckets' prefixes and the Glue databases; `stack` assembles the constructs
(`storage`, `catalog`, `access`, `network`, `pipeline`) for a stage; `preflight` is what
`just deploy` checks first. What runs on AWS or against it is not here but in `scripts/`: the
pipeline image's step runner (`scripts/pipeline_step.py`) and the stage teardown
(`scripts/cleanup`). Importing this package imports nothing from the CDK, so the step runner
reads `layout` without it.
"""
