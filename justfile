# healthlake: a local-first lakehouse for synthetic healthcare data.
# Run recipes through uv so every tool comes from the locked environment: `uv run just <recipe>`.

set shell := ["bash", "-euo", "pipefail", "-c"]
set export := true
# Recipes print their own progress; echoing every command line would bury one-line errors.
set quiet := true

HEALTHLAKE_WAREHOUSE := env("HEALTHLAKE_WAREHOUSE", justfile_directory() / "warehouse")
DBT_PROFILES_DIR := justfile_directory() / "profiles"
DBT_PROJECT_DIR := justfile_directory() / "dbt_project"
generated := HEALTHLAKE_WAREHOUSE / "generated"

# List the recipes
default:
    @just --list

# The main job: generate -> load into Iceberg -> dbt build on DuckDB, then print a summary
[no-exit-message]
run-local patients="10000" seed="42":
    #!/usr/bin/env bash
    set -euo pipefail
    export PIPELINE_RUN_ID="${PIPELINE_RUN_ID:-$(python -m iceberg new-run-id)}"
    echo "run $PIPELINE_RUN_ID"
    just generate {{ patients }} {{ seed }}
    just load
    just build duckdb
    python -m iceberg summary --elapsed "$SECONDS"

# Generate a seeded synthetic population as FHIR NDJSON + OMOP Parquet in warehouse/generated
[no-exit-message]
generate patients="10000" seed="42" *flags="":
    python -m generators generate {{ patients }} {{ seed }} --out "{{ generated }}" {{ flags }}

# Check that the FHIR and OMOP renderings in warehouse/generated agree (non-zero exit on any mismatch)
[no-exit-message]
validate:
    python -m generators validate "{{ generated }}"

# Time OMOP and FHIR rendering at 10k, 100k and 1M patients beside a per-row Faker baseline
[no-exit-message]
bench *sizes="10000 100000 1000000":
    python -m generators bench {{ sizes }} --work-dir "{{ HEALTHLAKE_WAREHOUSE }}/bench"

# Load the generated dataset into the Iceberg bronze namespace: `just load`, `just load glue`, `just load --catalog glue --force`
[no-exit-message]
load *args="":
    #!/usr/bin/env bash
    set -euo pipefail
    set -- {{ args }}
    # A bare first word is the catalog name (`just load glue`); flags pass through as they are.
    if [ $# -gt 0 ] && [[ "$1" != -* ]]; then set -- --catalog "$@"; fi
    python -m iceberg load --from "{{ generated }}" "$@"

# Ingest real FHIR R4 input (NDJSON and/or JSON Bundles, a file or a folder) into bronze; bad records go to bronze.quarantine
[no-exit-message]
ingest-fhir path *flags="":
    python -m iceberg ingest-fhir "{{ path }}" {{ flags }}

# List a bronze table's snapshots with their run ids (e.g. `just snapshots fhir_patient`)
[no-exit-message]
snapshots table *flags="":
    python -m iceberg snapshots "{{ table }}" {{ flags }}

# Read a bronze table as of a snapshot or run: `just read-bronze fhir_patient --run RUN_ID` (or --snapshot ID, --out f.parquet)
[no-exit-message]
read-bronze table *flags="":
    python -m iceberg read "{{ table }}" {{ flags }}

# Compact small files, expire old snapshots (keeping the last N) and delete orphan files of every bronze table (`just maintain 10 --orphan-age-minutes 0`)
[no-exit-message]
maintain keep="10" *flags="":
    python -m iceberg maintain --keep {{ keep }} {{ flags }}

# Benchmark bronze load and DuckDB mirror at 10k and 1M patients, then 10k one-patient Bundle files (--bundle-files N; 0 skips)
[no-exit-message]
bench-bronze *sizes="10000 1000000":
    python -m iceberg.bench {{ sizes }}

# Build every dbt model, seed and test on a target (duckdb or athena); on duckdb the lakehouse changes only if all passed
[no-exit-message]
[positional-arguments]
build target="duckdb":
    python -m iceberg build "$@"

# Prove Athena parity offline: every model compiles and parses for Athena and returns DuckDB's rows
[no-exit-message]
parity *args="":
    python scripts/parity.py {{ args }}

# Run the full test suite (lint, then pytest)
test *args="":
    just lint
    pytest {{ args }}

# Lint Python (ruff, ruff format, mypy) and SQL (sqlfluff)
lint:
    ruff check .
    ruff format --check .
    mypy
    mypy scripts/parity.py
    cd "$DBT_PROJECT_DIR" && sqlfluff lint models macros --disable-progress-bar

# Remove everything the pipeline wrote under warehouse/ and dbt's build output
clean:
    find "$HEALTHLAKE_WAREHOUSE" -mindepth 1 -maxdepth 1 ! -name README.md ! -name .gitignore -exec rm -rf {} +
    rm -rf "$DBT_PROJECT_DIR/target" "$DBT_PROJECT_DIR/logs" "$DBT_PROJECT_DIR/dbt_packages"

# Synthesize the AWS stack of a stage (infra/) into infra/cdk.out, checked by cdk-nag's HIPAA pack
[no-exit-message]
synth stage="dev":
    #!/usr/bin/env bash
    set -euo pipefail
    export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
    export CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true
    cd "{{ justfile_directory() }}/infra"
    if [ ! -x node_modules/.bin/cdk ]; then npm ci --no-audit --no-fund --loglevel=error; fi
    if ! npx --no-install cdk synth --context stage={{ stage }} --quiet --no-notices >/dev/null; then
        echo "error: cdk synth failed for stage {{ stage }}: the findings are listed above (cdk-nag's HIPAA pack or CDK's own validation); fix them in infra/healthlake_infra/" >&2
        exit 1
    fi
    echo "template: infra/cdk.out/healthlake-{{ stage }}.template.json (cdk-nag HIPAA Security: no unacknowledged finding)"

# Deploy the stack of a stage to the AWS account and region of your credentials (AWS_REGION)
[no-exit-message]
deploy stage="dev":
    #!/usr/bin/env bash
    set -euo pipefail
    export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
    export CDK_DISABLE_CLI_TELEMETRY=true
    cd "{{ justfile_directory() }}/infra"
    prefix_list="$(PYTHONPATH=. python -m healthlake_infra.preflight)"
    image_tag="$(git rev-parse --short=12 HEAD)"
    if [ ! -x node_modules/.bin/cdk ]; then npm ci --no-audit --no-fund --loglevel=error; fi
    # Once per account and region; quick and unchanged when it was done before.
    npx --no-install cdk bootstrap --no-notices --context stage={{ stage }}
    npx --no-install cdk deploy --no-notices --context stage={{ stage }} --context imageTag="$image_tag" \
        --parameters S3PrefixListId="$prefix_list" --outputs-file "cdk.out/outputs-{{ stage }}.json"
    echo "deployed healthlake-{{ stage }}; outputs: infra/cdk.out/outputs-{{ stage }}.json; pipeline image tag: $image_tag (see docs/deploy-aws.md to push it)"
