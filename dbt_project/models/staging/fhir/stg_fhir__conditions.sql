{{
    config(
        materialized='incremental',
        unique_key='condition_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_condition')) }}",
    )
}}

{% set practitioner_paths = ['$.asserter', '$.recorder'] %}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_condition'), 'condition_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

renamed as (

    select
        ---------- ids
        resource_id as condition_id,
        -- Patient, encounter, own practitioner: Condition.asserter, else recorder.
        {{ fhir_event_references(practitioner_paths) }},

        ---------- strings
        {{ json_extract_string('resource_json', '$.code.coding[0].system') }} as code_system,
        {{ json_extract_string('resource_json', '$.code.coding[0].code') }} as code,
        {{ json_extract_string('resource_json', '$.code.coding[0].display') }} as code_display,
        {{ json_extract_string('resource_json', '$.code.text') }} as code_text,
        {{ json_extract_json('resource_json', '$.code.coding') }} as code_codings_json,
        {{ json_extract_string('resource_json', '$.clinicalStatus.coding[0].code') }}
            as clinical_status,
        {{ json_extract_string('resource_json', '$.verificationStatus.coding[0].code') }}
            as verification_status,
        {{ json_extract_string('resource_json', '$.category[0].coding[0].code') }}
            as category_code,
        coalesce(
            {{ json_extract_string('resource_json', '$.onsetDateTime') }},
            {{ json_extract_string('resource_json', '$.onsetPeriod.start') }},
            {{ json_extract_string('resource_json', '$.onsetString') }}
        ) as onset_source_value,

        ---------- dates
        -- onset[x]: dateTime or Period; Age, Range and string onsets have no date.
        coalesce(
            {{ fhir_date(json_extract_string('resource_json', '$.onsetDateTime')) }},
            {{ fhir_date(json_extract_string('resource_json', '$.onsetPeriod.start')) }}
        ) as onset_date,
        coalesce(
            {{ fhir_date(json_extract_string('resource_json', '$.abatementDateTime')) }},
            {{ fhir_date(json_extract_string('resource_json', '$.abatementPeriod.end')) }},
            {{ fhir_date(json_extract_string('resource_json', '$.abatementPeriod.start')) }}
        ) as abatement_date,
        {{ fhir_date(json_extract_string('resource_json', '$.recordedDate')) }} as recorded_date,

        ---------- timestamps
        coalesce(
            {{ fhir_datetime(json_extract_string('resource_json', '$.onsetDateTime')) }},
            {{ fhir_datetime(json_extract_string('resource_json', '$.onsetPeriod.start')) }}
        ) as onset_at,
        coalesce(
            {{ fhir_datetime(json_extract_string('resource_json', '$.abatementDateTime')) }},
            {{ fhir_datetime(json_extract_string('resource_json', '$.abatementPeriod.end')) }}
        ) as abatement_at,

        ---------- checked elements as written (JSON text), for ops.fhir_set_aside
        {{ json_extract_json('resource_json', '$.onsetDateTime') }} as onset_date_time_json,
        {{ json_extract_json('resource_json', '$.recordedDate') }} as recorded_date_json,
        {{ json_extract_json('resource_json', '$.abatementDateTime') }} as abatement_date_time_json,

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
