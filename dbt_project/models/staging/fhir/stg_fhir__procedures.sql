{{
    config(
        materialized='incremental',
        unique_key='procedure_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_procedure')) }}",
    )
}}

{% set practitioner_paths = ['$.performer[0].actor'] %}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_procedure'), 'procedure_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

renamed as (

    select
        ---------- ids
        resource_id as procedure_id,
        -- Patient, encounter, own practitioner: Procedure.performer[0].actor.
        {{ fhir_event_references(practitioner_paths) }},

        ---------- strings
        {{ json_extract_string('resource_json', '$.status') }} as status,
        {{ json_extract_string('resource_json', '$.code.coding[0].system') }} as code_system,
        {{ json_extract_string('resource_json', '$.code.coding[0].code') }} as code,
        {{ json_extract_string('resource_json', '$.code.coding[0].display') }} as code_display,
        {{ json_extract_string('resource_json', '$.code.text') }} as code_text,
        {{ json_extract_json('resource_json', '$.code.coding') }} as code_codings_json,

        ---------- dates
        -- performed[x]: dateTime or Period.
        coalesce(
            {{ fhir_date(json_extract_string('resource_json', '$.performedDateTime')) }},
            {{ fhir_date(json_extract_string('resource_json', '$.performedPeriod.start')) }}
        ) as performed_start_date,
        {{ fhir_date(json_extract_string('resource_json', '$.performedPeriod.end')) }}
            as performed_end_date,

        ---------- timestamps
        coalesce(
            {{ fhir_datetime(json_extract_string('resource_json', '$.performedDateTime')) }},
            {{ fhir_datetime(json_extract_string('resource_json', '$.performedPeriod.start')) }}
        ) as performed_start_at,
        {{ fhir_datetime(json_extract_string('resource_json', '$.performedPeriod.end')) }}
            as performed_end_at,

        ---------- checked elements as written (JSON text), for ops.fhir_set_aside
        {{ json_extract_json('resource_json', '$.performedDateTime') }} as performed_date_time_json,
        {{ json_extract_json('resource_json', '$.performedPeriod.start') }}
            as performed_period_start_json,

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
