{{
    config(
        materialized='incremental',
        unique_key='observation_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_observation')) }}",
    )
}}

{% set practitioner_paths = ['$.performer[0]'] %}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_observation'), 'observation_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

renamed as (

    select
        ---------- ids
        resource_id as observation_id,
        -- Patient, encounter, own practitioner: Observation.performer[0].
        {{ fhir_event_references(practitioner_paths) }},

        ---------- strings
        {{ json_extract_string('resource_json', '$.status') }} as status,
        {{ json_extract_string('resource_json', '$.category[0].coding[0].code') }}
            as category_code,
        {{ json_extract_string('resource_json', '$.code.coding[0].system') }} as code_system,
        {{ json_extract_string('resource_json', '$.code.coding[0].code') }} as code,
        {{ json_extract_string('resource_json', '$.code.coding[0].display') }} as code_display,
        {{ json_extract_string('resource_json', '$.code.text') }} as code_text,
        {{ json_extract_json('resource_json', '$.code.coding') }} as code_codings_json,
        -- value[x]: Quantity, CodeableConcept, string, boolean, integer (others stay raw).
        {{ json_extract_string('resource_json', '$.valueQuantity.unit') }} as value_unit,
        {{ json_extract_string('resource_json', '$.valueQuantity.system') }} as value_unit_system,
        {{ json_extract_string('resource_json', '$.valueQuantity.code') }} as value_unit_code,
        {{ json_extract_string('resource_json', '$.valueQuantity.comparator') }}
            as value_comparator,
        {{ json_extract_json('resource_json', '$.valueCodeableConcept.coding') }}
            as value_codings_json,
        coalesce(
            {{ json_extract_string('resource_json', '$.valueString') }},
            {{ json_extract_string('resource_json', '$.valueCodeableConcept.text') }},
            {{ json_extract_string('resource_json', '$.valueCodeableConcept.coding[0].display') }},
            {{ json_extract_string('resource_json', '$.valueBoolean') }}
        ) as value_text,
        {{ json_extract_json('resource_json', '$.component') }} as components_json,

        ---------- numerics
        coalesce(
            try_cast({{ json_extract_string('resource_json', '$.valueQuantity.value') }} as double),
            try_cast({{ json_extract_string('resource_json', '$.valueInteger') }} as double)
        ) as value_number,
        try_cast(
            {{ json_extract_string('resource_json', '$.referenceRange[0].low.value') }} as double
        ) as range_low,
        try_cast(
            {{ json_extract_string('resource_json', '$.referenceRange[0].high.value') }} as double
        ) as range_high,

        ---------- dates
        -- effective[x]: dateTime, instant or Period (its start).
        coalesce(
            {{ fhir_date(json_extract_string('resource_json', '$.effectiveDateTime')) }},
            {{ fhir_date(json_extract_string('resource_json', '$.effectiveInstant')) }},
            {{ fhir_date(json_extract_string('resource_json', '$.effectivePeriod.start')) }},
            {{ fhir_date(json_extract_string('resource_json', '$.issued')) }}
        ) as effective_date,

        ---------- timestamps
        coalesce(
            {{ fhir_datetime(json_extract_string('resource_json', '$.effectiveDateTime')) }},
            {{ fhir_datetime(json_extract_string('resource_json', '$.effectiveInstant')) }},
            {{ fhir_datetime(json_extract_string('resource_json', '$.effectivePeriod.start')) }},
            {{ fhir_datetime(json_extract_string('resource_json', '$.issued')) }}
        ) as effective_at,

        ---------- checked elements as written (JSON text), for ops.fhir_set_aside
        {{ json_extract_json('resource_json', '$.effectiveDateTime') }} as effective_date_time_json,
        {{ json_extract_json('resource_json', '$.valueQuantity.value') }}
            as value_quantity_value_json,

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
