{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
    )
}}
-- Stable OMOP integer ids for source records: once a key has an id it keeps it on every later
-- run (rows are only ever appended; `full_refresh=false` keeps `dbt build --full-refresh` from
-- renumbering). A Patient that carries its OMOP person_id as an identifier keeps that id; every
-- other key gets the next free id of its table, in key order, so a fresh build is deterministic.
with

patients as (

    select * from {{ ref('stg_fhir__patients') }}

),

encounters as (

    select * from {{ ref('stg_fhir__encounters') }}

),

events as (

    select * from {{ ref('int_fhir_clinical_events_routed') }}

),

locations as (

    select * from {{ ref('int_locations_deduplicated') }}

),

care_sites as (

    select * from {{ ref('int_care_sites_resolved') }}

),

providers as (

    select * from {{ ref('int_providers_resolved') }}

),

source_keys as (

    select
        'person' as omop_table,
        'Patient/' || patient_id as source_key,
        omop_person_id as provided_id
    from patients
    union all
    select
        'observation_period' as omop_table,
        'Patient/' || patient_id as source_key,
        cast(null as integer) as provided_id
    from patients
    union all
    select
        'visit_occurrence' as omop_table,
        'Encounter/' || encounter_id as source_key,
        cast(null as integer) as provided_id
    from encounters
    union all
    select distinct
        target_table as omop_table,
        event_key as source_key,
        cast(null as integer) as provided_id
    from events
    union all
    select
        'location' as omop_table,
        location_key as source_key,
        cast(null as integer) as provided_id
    from locations
    union all
    select
        'care_site' as omop_table,
        'Organization/' || organization_id as source_key,
        cast(null as integer) as provided_id
    from care_sites
    union all
    select
        'provider' as omop_table,
        'Practitioner/' || practitioner_id as source_key,
        cast(null as integer) as provided_id
    from providers

),

{% if is_incremental() %}

existing as (

    select * from {{ this }}

),

{% endif %}

new_keys as (

    select source_keys.*
    from source_keys
    {% if is_incremental() %}
        left join existing
            on
                source_keys.omop_table = existing.omop_table
                and source_keys.source_key = existing.source_key
        where existing.source_key is null
    {% endif %}

),

next_free as (

    select
        new_keys.omop_table,
        greatest(
            coalesce(max(new_keys.provided_id), 0),
            {% if is_incremental() %}
                coalesce(max(existing_max.max_id), 0)
            {% else %}
                0
            {% endif %}
        ) as max_taken_id
    from new_keys
    {% if is_incremental() %}
        left join (
            select
                omop_table,
                max(omop_id) as max_id
            from existing
            group by omop_table
        ) as existing_max
            on new_keys.omop_table = existing_max.omop_table
    {% endif %}
    group by new_keys.omop_table

),

final as (

    select
        new_keys.omop_table,
        new_keys.source_key,
        cast(
            coalesce(
                new_keys.provided_id,
                next_free.max_taken_id
                + row_number() over (
                    partition by new_keys.omop_table, new_keys.provided_id is null
                    order by new_keys.source_key
                )
            ) as integer
        ) as omop_id,
        {{ lineage_columns() }}
    from new_keys
    inner join next_free
        on new_keys.omop_table = next_free.omop_table

)

select * from final
