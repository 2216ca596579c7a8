{{
    config(
        materialized='incremental',
        unique_key='medication_request_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_medication_request')) }}",
    )
}}

{% set practitioner_paths = ['$.requester'] %}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_medication_request'), 'medication_request_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

-- medication[x] may be a reference to a Medication contained in the request ("#med1").
contained_medications as (

    select
        latest.resource_id,
        {{ json_extract_string('contained_json', '$.id') }} as contained_id,
        {{ json_extract_json('contained_json', '$.code.coding') }} as code_codings_json,
        {{ json_extract_string('contained_json', '$.code.text') }} as code_text
    from latest
    cross join
        unnest({{ json_array('latest.resource_json', '$.contained') }})
            as contained_rows (contained_json)
    where {{ json_extract_string('contained_json', '$.resourceType') }} = 'Medication'

),

renamed as (

    select
        ---------- ids
        latest.resource_id as medication_request_id,
        -- Patient, encounter, own practitioner: MedicationRequest.requester.
        {{ fhir_event_references(practitioner_paths, prefix='latest.') }},
        {{ fhir_reference_id(
            json_extract_string('latest.resource_json', '$.medicationReference.reference')
        ) }} as medication_reference_id,

        ---------- strings
        {{ json_extract_string('latest.resource_json', '$.status') }} as status,
        {{ json_extract_string('latest.resource_json', '$.intent') }} as intent,
        coalesce(
            {{ json_extract_json('latest.resource_json', '$.medicationCodeableConcept.coding') }},
            contained_medications.code_codings_json
        ) as code_codings_json,
        coalesce(
            {{ json_extract_string('latest.resource_json', '$.medicationCodeableConcept.text') }},
            contained_medications.code_text,
            {{ json_extract_string('latest.resource_json', '$.medicationReference.display') }}
        ) as code_text,
        {{ json_extract_string('latest.resource_json', '$.dosageInstruction[0].text') }} as sig,
        {{ json_extract_string(
            'latest.resource_json', '$.dosageInstruction[0].route.coding[0].code'
        ) }} as route_code,

        ---------- numerics
        try_cast(
            {{ json_extract_string('latest.resource_json', '$.dispenseRequest.quantity.value') }}
            as double
        ) as dispense_quantity,
        try_cast(
            {{ json_extract_string(
                'latest.resource_json', '$.dispenseRequest.expectedSupplyDuration.value'
            ) }} as double
        ) as expected_supply_days,
        try_cast(
            {{ json_extract_string(
                'latest.resource_json', '$.dispenseRequest.numberOfRepeatsAllowed'
            ) }} as integer
        ) as refills,

        ---------- dates
        {{ fhir_date(json_extract_string('latest.resource_json', '$.authoredOn')) }}
            as authored_date,
        {{ fhir_date(
            json_extract_string('latest.resource_json', '$.dispenseRequest.validityPeriod.end')
        ) }} as validity_end_date,

        ---------- timestamps
        {{ fhir_datetime(json_extract_string('latest.resource_json', '$.authoredOn')) }}
            as authored_at,

        ---------- checked elements as written (JSON text), for ops.fhir_set_aside
        {{ json_extract_json('latest.resource_json', '$.authoredOn') }} as authored_on_json,

        ---------- lineage
        {{ fhir_bronze_lineage('latest') }}

    from latest
    left join contained_medications
        on
            latest.resource_id = contained_medications.resource_id
            and {{ json_extract_string('latest.resource_json', '$.medicationReference.reference') }}
            = '#' || contained_medications.contained_id

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from renamed

)

select * from final
