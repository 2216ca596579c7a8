with

source as (

    select * from {{ source('fhir', 'fhir_medication') }}

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
