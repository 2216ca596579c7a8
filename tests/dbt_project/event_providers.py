"""Queries over the provider_id of every OMOP event table, shared by the build tests."""

from __future__ import annotations

EVENT_TABLES = (
    "condition_occurrence",
    "drug_exposure",
    "measurement",
    "observation",
    "procedure_occurrence",
    "device_exposure",
)
# Each OMOP event row's FHIR source key and provider (its provider_source_value, "NULL" when
# it has none, as the DuckDB shell prints it).
EVENT_PROVIDERS = (
    "select ids.source_key, provider.provider_source_value from ("
    + " union all ".join(
        f"select '{table}' as omop_table, {table}_id as omop_id, provider_id from omop.{table}"
        for table in EVENT_TABLES
    )
    + ") as events inner join silver.int_omop_id_map as ids "
    "on ids.omop_table = events.omop_table and ids.omop_id = events.omop_id "
    "left join omop.provider on events.provider_id = provider.provider_id order by 1"
)
ORPHAN_PROVIDERS = " union all ".join(
    f"select '{table}', count(*) from omop.{table} where provider_id is not null "
    "and provider_id not in (select provider_id from omop.provider)"
    for table in EVENT_TABLES
)
