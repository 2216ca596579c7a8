{{
    config(
        materialized='incremental',
        unique_key='organization_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_organization')) }}",
    )
}}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_organization'), 'organization_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

renamed as (

    select
        ---------- ids
        resource_id as organization_id,

        ---------- strings
        {{ json_extract_string('resource_json', '$.name') }} as organization_name,
        {{ json_extract_string('resource_json', '$.type[0].coding[0].code') }} as type_code,
        {{ fhir_address_columns('resource_json', '$.address[0]') }},
        -- Every identifier (Synthea's, NPI, ...): conditional references are resolved against them.
        {{ json_extract_json('resource_json', '$.identifier') }} as identifiers_json,

        ---------- lineage
        {{ fhir_bronze_lineage() }}

    from latest

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from renamed

)

select * from final
