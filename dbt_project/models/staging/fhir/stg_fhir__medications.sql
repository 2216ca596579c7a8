{{
    config(
        materialized='incremental',
        unique_key='medication_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_medication')) }}",
    )
}}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_medication'), 'medication_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

renamed as (

    select
        ---------- ids
        resource_id as medication_id,

        ---------- strings
        {{ json_extract_json('resource_json', '$.code.coding') }} as code_codings_json,
        {{ json_extract_string('resource_json', '$.code.text') }} as code_text,

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
