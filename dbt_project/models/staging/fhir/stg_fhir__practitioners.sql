{{
    config(
        materialized='incremental',
        unique_key='practitioner_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_practitioner')) }}",
    )
}}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_practitioner'), 'practitioner_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

npi as (

    select
        latest.resource_id,
        max({{ json_extract_string('identifier_rows.identifier_json', '$.value') }}) as npi
    from latest
    cross join
        unnest({{ json_array('latest.resource_json', '$.identifier') }})
            as identifier_rows (identifier_json)
    where
        {{ json_extract_string('identifier_rows.identifier_json', '$.system') }}
        = 'http://hl7.org/fhir/sid/us-npi'
    group by latest.resource_id

),

renamed as (

    select
        ---------- ids
        latest.resource_id as practitioner_id,
        npi.npi,

        ---------- strings
        coalesce(
            {{ json_extract_string('latest.resource_json', '$.name[0].text') }},
            {{ json_extract_string('latest.resource_json', '$.name[0].given[0]') }}
            || ' '
            || {{ json_extract_string('latest.resource_json', '$.name[0].family') }},
            {{ json_extract_string('latest.resource_json', '$.name[0].family') }}
        ) as practitioner_name,
        lower({{ json_extract_string('latest.resource_json', '$.gender') }}) as gender,
        -- Every identifier (NPI and others): conditional references are resolved against them.
        {{ json_extract_json('latest.resource_json', '$.identifier') }} as identifiers_json,

        ---------- lineage
        {{ fhir_bronze_lineage('latest') }}

    from latest
    left join npi
        on latest.resource_id = npi.resource_id

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from renamed

)

select * from final
