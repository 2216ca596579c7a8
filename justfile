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

# Load the generated dataset into the Iceberg bronze namespace (catalog: local or glue)
[no-exit-message]
load catalog="local" *flags="":
    python -m iceberg load --from "{{ generated }}" --catalog {{ catalog }} {{ flags }}

# Build every dbt model, seed and test on a target (duckdb or athena)
[no-exit-message]
build target="duckdb":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ "{{ target }}" = duckdb ]; then python -m iceberg check-lakehouse --catalog "${HEALTHLAKE_CATALOG:-local}"; fi
    cd "$DBT_PROJECT_DIR"
    if ! dbt build --target {{ target }} --quiet --warn-error-options '{"error": ["NoNodesForSelectionCriteria"]}'; then
        echo "error: dbt build --target {{ target }} failed: the failing models and tests are listed above (full log: dbt_project/logs/dbt.log); fix them and run 'just build {{ target }}' again" >&2
        exit 1
    fi
    echo "dbt build --target {{ target }}: all models built and all tests passed"

# Run the full test suite (lint, then pytest)
test *args="":
    just lint
    pytest {{ args }}

# Lint Python (ruff, ruff format, mypy) and SQL (sqlfluff)
lint:
    ruff check .
    ruff format --check .
    mypy
    cd "$DBT_PROJECT_DIR" && sqlfluff lint models macros --disable-progress-bar

# Remove everything the pipeline wrote under warehouse/ and dbt's build output
clean:
    find "$HEALTHLAKE_WAREHOUSE" -mindepth 1 -maxdepth 1 ! -name README.md ! -name .gitignore -exec rm -rf {} +
    rm -rf "$DBT_PROJECT_DIR/target" "$DBT_PROJECT_DIR/logs" "$DBT_PROJECT_DIR/dbt_packages"
