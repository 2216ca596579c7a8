"""Where things live in the data lake: one place for every prefix and database name.

The IAM policies, the Glue database locations, the container environment and the pipeline step
runner all read these, so a prefix cannot drift between the role that writes it and the code
that writes to it.
"""

from __future__ import annotations

PROJECT = "healthlake"

# Glue databases: the same names as the schemas of the DuckDB lakehouse.
BRONZE = "bronze"
DBT_SCHEMAS = ("silver", "gold", "omop", "ops")
DATABASES = (BRONZE, *DBT_SCHEMAS)
# The data products' databases: what the reader roles query, guarded by Lake Formation.
PRODUCT_SCHEMAS = ("gold", "omop")

# Data lake bucket. PyIceberg's Glue catalog (profiles/catalogs.yml, warehouse
# s3://$HEALTHLAKE_S3_BUCKET/iceberg) puts a table of database `bronze` under iceberg/bronze.db/.
ICEBERG_WAREHOUSE_PREFIX = "iceberg"
# dbt-athena writes tables under $HEALTHLAKE_ATHENA_S3_DATA_DIR/<schema>/<table>/<uuid>/
# (s3_data_naming: schema_table_unique in profiles/profiles.yml).
DBT_DATA_PREFIX = "dbt"
# The generate step's files, handed to the load step (each step is its own Fargate task).
STAGING_PREFIX = "staging"
# Run evidence: dbt artifacts and the run record, one folder per pipeline run id.
EVIDENCE_PREFIX = "evidence"
# Athena results bucket: query results and dbt-athena's staging files.
ATHENA_RESULTS_PREFIX = "athena-results"


def database_prefix(database: str) -> str:
    """The data lake prefix (no leading or trailing slash) that holds a database's tables."""
    if database == BRONZE:
        return f"{ICEBERG_WAREHOUSE_PREFIX}/{BRONZE}.db"
    if database in DBT_SCHEMAS:
        return f"{DBT_DATA_PREFIX}/{database}"
    raise ValueError(f"unknown database {database!r}: expected one of {', '.join(DATABASES)}")


def stack_name(stage: str) -> str:
    """The CloudFormation stack name of a stage (`healthlake-dev`)."""
    return f"{PROJECT}-{stage}"
