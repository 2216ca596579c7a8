-- MedicationRequests with the drug they name: their own medicationCodeableConcept or contained
-- Medication (staging), else the Medication resource their medicationReference points to, when
-- the export holds it apart (FHIR-Converter, servers, the US Core examples).
with

medication_requests as (

    select * from {{ ref('stg_fhir__medication_requests') }}

),

medications as (

    select * from {{ ref('stg_fhir__medications') }}

),

final as (

    select
        medication_requests.medication_request_id,
        medication_requests.patient_id,
        medication_requests.encounter_id,
        medication_requests.practitioner_id,
        medication_requests.practitioner_identifier_system,
        medication_requests.practitioner_identifier_value,
        medication_requests.practitioner_display,
        medication_requests.medication_reference_id,
        medication_requests.status,
        medication_requests.intent,
        medication_requests.sig,
        medication_requests.route_code,
        medication_requests.dispense_quantity,
        medication_requests.expected_supply_days,
        medication_requests.refills,
        medication_requests.authored_date,
        medication_requests.validity_end_date,
        medication_requests.authored_at,
        medication_requests.authored_on_json,
        medication_requests.last_updated_date,
        medication_requests.last_updated_at,
        medication_requests.has_conflicting_versions,
        medication_requests.source_file,
        medication_requests.bronze_pipeline_run_id,
        medication_requests.bronze_loaded_at,
        coalesce(medication_requests.code_codings_json, medications.code_codings_json)
            as code_codings_json,
        coalesce(medication_requests.code_text, medications.code_text) as code_text,
        case
            when medication_requests.code_codings_json is null then medications.medication_id
        end as resolved_medication_id
    from medication_requests
    left join medications
        on
            medication_requests.code_codings_json is null
            and medication_requests.medication_reference_id = medications.medication_id

)

select * from final
