# healthlake: a local-first lakehouse for synthetic healthcare data.
# Run recipes through uv so every tool comes from the locked environment: `uv run just <recipe>`.

set shell := ["bash", "-euo", "pipefail", "-c"]
set export := true
# Arguments reach programs as separate argv entries ("$1", "$@"), never pasted into shell text:
# a path with `$`, spaces, quotes or `;` stays literal. No recipe interpolates a
# parameter into its text.
# (`set export` also puts each parameter in the environment under its name, as it is.)
set positional-arguments := true
# Recipes print their own progress; echoing every command line would bury one-line errors.
set quiet := true

HEALTHLAKE_WAREHOUSE := env("HEALTHLAKE_WAREHOUSE", justfile_directory() / "warehouse")
DBT_PROFILES_DIR := justfile_directory() / "profiles"
DBT_PROJECT_DIR := justfile_directory() / "dbt_project"
generated := HEALTHLAKE_WAREHOUSE / "generated"

# List the recipes
default:
    @just --list

# The main job: generate -> load into Iceberg -> dbt build on DuckDB -> publish each role's file, then print a summary
[no-exit-message]
run-local patients="10000" seed="42":
    #!/usr/bin/env bash
    set -euo pipefail
    export PIPELINE_RUN_ID="${PIPELINE_RUN_ID:-$(python -m iceberg new-run-id)}"
    echo "run $PIPELINE_RUN_ID"
    just generate "$1" "$2"
    just load
    just build duckdb
    just publish
    python -m lakehouse summary --elapsed "$SECONDS"

# Generate a seeded synthetic population as FHIR NDJSON + OMOP Parquet in warehouse/generated
[no-exit-message]
generate patients="10000" seed="42" *flags="":
    #!/usr/bin/env bash
    set -euo pipefail
    # With no flags given, just passes the empty default as one argument: drop it.
    if [ $# -eq 3 ] && [ -z "$3" ]; then set -- "$1" "$2"; fi
    python -m generators generate "$1" "$2" --out "$generated" "${@:3}"

# Check that the FHIR and OMOP renderings in warehouse/generated agree (non-zero exit on any mismatch)
[no-exit-message]
validate:
    python -m generators validate "$generated"

# Time OMOP and FHIR rendering at 10k, 100k and 1M patients beside a per-row Faker baseline
[no-exit-message]
bench *sizes="10000 100000 1000000":
    #!/usr/bin/env bash
    set -euo pipefail
    # The default arrives as one argument "10000 100000 1000000": split a lone list of counts
    # into words (read -a splits, it does not evaluate anything).
    if [ $# -eq 1 ] && [[ "$1" =~ ^[0-9_]+( +[0-9_]+)+$ ]]; then read -ra counts <<< "$1"; set -- "${counts[@]}"; fi
    python -m generators bench "$@" --work-dir "$HEALTHLAKE_WAREHOUSE/bench"

# Load the generated dataset into the Iceberg bronze namespace: `just load`, `just load glue`, `just load --catalog glue --force`
[no-exit-message]
load *args="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 1 ] && [ -z "$1" ]; then set --; fi
    # A bare first word is the catalog name (`just load glue`); flags pass through as they are.
    if [ $# -gt 0 ] && [[ "$1" != -* ]]; then set -- --catalog "$@"; fi
    python -m iceberg load --from "$generated" "$@"

# Ingest real FHIR R4 input (NDJSON and/or JSON Bundles, a file or a folder) into bronze; bad records go to bronze.quarantine
[no-exit-message]
ingest-fhir path *flags="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 2 ] && [ -z "$2" ]; then set -- "$1"; fi
    python -m iceberg ingest-fhir "$@"

# List a bronze table's snapshots with their run ids (e.g. `just snapshots fhir_patient`)
[no-exit-message]
snapshots table *flags="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 2 ] && [ -z "$2" ]; then set -- "$1"; fi
    python -m iceberg snapshots "$@"

# Read a bronze table as of a snapshot or run: `just read-bronze fhir_patient --run RUN_ID` (or --snapshot ID, --out f.parquet)
[no-exit-message]
read-bronze table *flags="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 2 ] && [ -z "$2" ]; then set -- "$1"; fi
    python -m iceberg read "$@"

# Compact small files, expire old snapshots (keeping the last N) and delete orphan files of every bronze table (`just maintain 10 --orphan-age-minutes 0`)
[no-exit-message]
maintain keep="10" *flags="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 2 ] && [ -z "$2" ]; then set -- "$1"; fi
    python -m iceberg maintain --keep "$1" "${@:2}"

# Benchmark bronze load and DuckDB mirror at 10k and 1M patients, then 10k one-patient Bundle files (--bundle-files N; 0 skips)
[no-exit-message]
bench-bronze *sizes="10000 1000000":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 1 ] && [[ "$1" =~ ^[0-9_]+( +[0-9_]+)+$ ]]; then read -ra counts <<< "$1"; set -- "${counts[@]}"; fi
    python -m lakehouse.bench "$@"

# The whole pipeline per size (generate, load, build, a no-change build, 1% more patients): wall time, peak RSS, bytes on disk; `--json FILE` too
[no-exit-message]
bench-pipeline *sizes="10000 100000 1000000":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 1 ] && [[ "$1" =~ ^[0-9_]+( +[0-9_]+)+$ ]]; then read -ra counts <<< "$1"; set -- "${counts[@]}"; fi
    python -m lakehouse.bench_pipeline "$@"

# Build every dbt model, seed and test on a target (duckdb, trino or athena; --full-refresh re-stages all of bronze); on duckdb the lakehouse changes only if all passed
[no-exit-message]
build target="duckdb" *flags="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 2 ] && [ -z "$2" ]; then set -- "$1"; fi
    # ViewDefinitions in dbt_project/fhir_views/ become models first (views/dbt_models.py).
    python -m views.dbt_models
    python -m lakehouse build "$@"

# Run a SQL-on-FHIR ViewDefinition over FHIR input (a file or folder): `just view dbt_project/fhir_views/patient_demographics.json warehouse/generated/fhir --format csv`
[no-exit-message]
view view_json input="" *flags="":
    #!/usr/bin/env bash
    set -euo pipefail
    # Defaults left empty arrive as empty arguments: pass on only the ones given.
    given=(); for arg in "$@"; do if [ -n "$arg" ]; then given+=("$arg"); fi; done
    python -m views run "${given[@]}"

# Run SQL-on-FHIR test files (the official format) on an engine: `just view-tests ../shared/reference/sql_on_fhir_v2/tests --engine athena`
[no-exit-message]
view-tests path *flags="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 2 ] && [ -z "$2" ]; then set -- "$1"; fi
    python -m views tests "$@"

# Time compiled ViewDefinitions against the hand-written FHIR staging of the same fields (10k..1M patients)
[no-exit-message]
bench-views *sizes="100000 1000000":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 1 ] && [[ "$1" =~ ^[0-9_]+( +[0-9_]+)+$ ]]; then read -ra counts <<< "$1"; set -- "${counts[@]}"; fi
    python -m views.bench "$@" --work-dir "$HEALTHLAKE_WAREHOUSE/bench-views"

# A local Trino (Athena's engine) over the lakehouse's Iceberg tables: `just trino up`, `just trino status`, `just trino down`
[no-exit-message]
trino action="status":
    python -m trino_server "$1"

# Prove Athena parity offline: every model compiles and parses for Athena and returns DuckDB's rows
[no-exit-message]
parity *args="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 1 ] && [ -z "$1" ]; then set --; fi
    python scripts/parity.py "$@"

# Data contracts (contracts/*.odcs.yaml): `just contracts check`, `just contracts diff OLD NEW`, `just contracts diff --against HEAD~1 NEW`
[no-exit-message]
contracts action="check" *args="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 2 ] && [ -z "$2" ]; then set -- "$1"; fi
    python -m contracts "$@"

# Exercises that check themselves: `just learn` (tracks, progress, the next one), `just learn show ID [--hint] [--solution]`, `just learn check [ID]`
[no-exit-message]
learn *args="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 1 ] && [ -z "$1" ]; then set --; fi
    python -m exercises "$@"

# Write each role's file warehouse/published/<role>.duckdb with only what it may see (masked, filtered); every role when none is named
[no-exit-message]
publish *roles="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 1 ] && [ -z "$1" ]; then set --; fi
    python -m contracts publish "$@"

# Print what a role can read: its tables, each column's classification and mask, the row filter (`just access analyst`)
[no-exit-message]
access role:
    python -m contracts access "$1"

# Run the full test suite (lint, then pytest with coverage); with arguments, only the tests they select
[no-exit-message]
test *args="":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ $# -eq 1 ] && [ -z "$1" ]; then set --; fi
    # Check the arguments before the minute of lint. Under xdist (-n 2 in pyproject.toml) a test
    # path that does not exist is no error, only "no tests ran" once every worker has started.
    if [ $# -gt 0 ]; then
        status=0
        pytest --collect-only -q "$@" -n 0 >/dev/null || status=$?
        case "$status" in
            0) ;;
            5) echo "error: 'just test $*' selects no tests; check the test paths and the -k / -m expressions" >&2; exit 2 ;;
            *) exit "$status" ;;  # pytest has said what is wrong (a path not found, an unknown option)
        esac
    fi
    just lint
    if [ $# -gt 0 ]; then
        pytest "$@"
    else
        # Coverage of the whole suite, `python -m` and `just` subprocesses included ([tool.coverage]
        # in pyproject.toml). The floor is the total when it was set (89.6%), rounded down: raise it
        # as coverage grows. With arguments (a path, -k, -x) pytest runs as asked, unmeasured.
        pytest --cov --cov-report=term:skip-covered --cov-fail-under=89
    fi

# Lint Python (ruff, ruff format, mypy) and SQL (sqlfluff); check the generated dbt files
lint:
    ruff check .
    ruff format --check .
    mypy
    python -m views.dbt_models --check
    python -m contracts lakeformation --check
    cd "$DBT_PROJECT_DIR" && sqlfluff lint models macros --disable-progress-bar

# Build the documentation site (mkdocs.yml, docs/) into site/; --strict: a broken link or anchor fails it
[no-exit-message]
docs:
    NO_MKDOCS_2_WARNING=1 mkdocs build --strict 2>&1 | { grep -v "^INFO" || true; }
    echo "site: site/index.html (serve it with: just docs-serve)"

# Serve the documentation site on http://127.0.0.1:8000, rebuilt on every change to docs/
[no-exit-message]
docs-serve:
    NO_MKDOCS_2_WARNING=1 mkdocs serve --strict --dev-addr 127.0.0.1:8000

# Remove everything the pipeline wrote under warehouse/ (staging folders of killed generates included) and dbt's build output
clean:
    find "$HEALTHLAKE_WAREHOUSE" -mindepth 1 -maxdepth 1 ! -name README.md ! -name .gitignore -exec rm -rf {} +
    rm -rf "$DBT_PROJECT_DIR/target" "$DBT_PROJECT_DIR/logs" "$DBT_PROJECT_DIR/dbt_packages"

# Synthesize the AWS stack of a stage (infra/) into infra/cdk.out, checked by cdk-nag's HIPAA pack
[no-exit-message]
synth stage="dev":
    #!/usr/bin/env bash
    set -euo pipefail
    stage="$1"
    # A stage is a name in stack, bucket and file names: check it before any slow work.
    if ! [[ "$stage" =~ ^[a-z][a-z0-9-]{0,30}$ ]]; then
        echo "error: stage '$stage' is not a stage name: use 1-31 lowercase letters, digits or '-', starting with a letter (e.g. dev, prod)" >&2
        exit 2
    fi
    export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
    export CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true
    cd infra
    if [ ! -x node_modules/.bin/cdk ]; then npm ci --no-audit --no-fund --loglevel=error; fi
    if ! npx --no-install cdk synth --context stage="$stage" --quiet --no-notices >/dev/null; then
        echo "error: cdk synth failed for stage $stage: the findings are listed above (cdk-nag's HIPAA pack or CDK's own validation); fix them in infra/healthlake_infra/" >&2
        exit 1
    fi
    echo "template: infra/cdk.out/healthlake-$stage.template.json (cdk-nag HIPAA Security: no unacknowledged finding)"

# Deploy the stack of a stage to the AWS account and region of your credentials (AWS_REGION)
[no-exit-message]
deploy stage="dev":
    #!/usr/bin/env bash
    set -euo pipefail
    stage="$1"
    # A stage is a name in stack, bucket and file names: check it before any slow work.
    if ! [[ "$stage" =~ ^[a-z][a-z0-9-]{0,30}$ ]]; then
        echo "error: stage '$stage' is not a stage name: use 1-31 lowercase letters, digits or '-', starting with a letter (e.g. dev, prod)" >&2
        exit 2
    fi
    export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
    export CDK_DISABLE_CLI_TELEMETRY=true
    cd infra
    prefix_list="$(python -m healthlake_infra.preflight)"
    image_tag="$(git rev-parse --short=12 HEAD)"
    if [ ! -x node_modules/.bin/cdk ]; then npm ci --no-audit --no-fund --loglevel=error; fi
    # Once per account and region; quick and unchanged when it was done before.
    npx --no-install cdk bootstrap --no-notices --context stage="$stage"
    npx --no-install cdk deploy --no-notices --context stage="$stage" --context imageTag="$image_tag" \
        --parameters S3PrefixListId="$prefix_list" --outputs-file "cdk.out/outputs-$stage.json"
    echo "deployed healthlake-$stage; outputs: infra/cdk.out/outputs-$stage.json; pipeline image tag: $image_tag (see docs/deploy-aws.md to push it)"
