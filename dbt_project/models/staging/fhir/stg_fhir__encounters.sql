{{
    config(
        materialized='incremental',
        unique_key='encounter_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_encounter')) }}",
    )
}}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_encounter'), 'encounter_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

renamed as (

    select
        ---------- ids
        resource_id as encounter_id,
        {{ fhir_patient_id('patient_reference') }} as patient_id,
        -- A reference names an id (literal, urn:uuid, contained: these columns) or only an
        -- identifier (conditional "Organization?identifier=system|value", or logical: the
        -- *_identifier_* columns); int_fhir_encounter_references_resolved resolves both.
        {{ fhir_reference_id(
            json_extract_string('resource_json', '$.serviceProvider.reference')
        ) }} as service_provider_id,
        {{ fhir_reference_id(
            json_extract_string('resource_json', '$.participant[0].individual.reference')
        ) }} as practitioner_id,

        ---------- strings
        {{ json_extract_string('resource_json', '$.status') }} as status,
        -- R4 Encounter.class is a single Coding (v3 ActCode: AMB, EMER, IMP, ...).
        {{ json_extract_string('resource_json', '$.class.system') }} as class_system,
        {{ json_extract_string('resource_json', '$.class.code') }} as class_code,
        {{ json_extract_string('resource_json', '$.class.display') }} as class_display,
        {{ json_extract_string('resource_json', '$.type[0].coding[0].system') }} as type_system,
        {{ json_extract_string('resource_json', '$.type[0].coding[0].code') }} as type_code,
        coalesce(
            {{ json_extract_string('resource_json', '$.type[0].coding[0].display') }},
            {{ json_extract_string('resource_json', '$.type[0].text') }}
        ) as type_display,
        {{ json_extract_string('resource_json', '$.serviceProvider.display') }}
            as service_provider_display,
        {{ json_extract_string('resource_json', '$.participant[0].individual.display') }}
            as practitioner_display,
        {{ fhir_reference_identifier('resource_json', '$.serviceProvider', 'system') }}
            as service_provider_identifier_system,
        {{ fhir_reference_identifier('resource_json', '$.serviceProvider', 'value') }}
            as service_provider_identifier_value,
        {{ fhir_reference_identifier('resource_json', '$.participant[0].individual', 'system') }}
            as practitioner_identifier_system,
        {{ fhir_reference_identifier('resource_json', '$.participant[0].individual', 'value') }}
            as practitioner_identifier_value,
        {{ json_extract_string('resource_json', '$.period.start') }} as period_start_source_value,

        ---------- dates
        {{ fhir_date(json_extract_string('resource_json', '$.period.start')) }}
            as period_start_date,
        {{ fhir_date(json_extract_string('resource_json', '$.period.end')) }} as period_end_date,

        ---------- timestamps
        {{ fhir_datetime(json_extract_string('resource_json', '$.period.start')) }}
            as period_start_at,
        {{ fhir_datetime(json_extract_string('resource_json', '$.period.end')) }} as period_end_at,

        ---------- checked elements as written (JSON text), for ops.fhir_set_aside
        {{ json_extract_json('resource_json', '$.period.start') }} as period_start_json,
        {{ json_extract_json('resource_json', '$.period.end') }} as period_end_json,

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
