{#-
    The FHIR resource types staging models, in one list: each with its staging model, its id
    column, the OMOP tables it becomes, and whether it is a clinical resource of a patient
    (traced row by row by ops.fhir_omop_reconciliation). ops models read this list rather than
    keep their own, so a newly staged type is reconciled, checked and counted everywhere.
-#}
{% macro fhir_staged_types(clinical_only=false) -%}
    {%- set types = [
        {'type': 'Patient', 'model': 'stg_fhir__patients', 'id': 'patient_id', 'clinical': true,
            'omop': 'person, observation_period, death, location'},
        {'type': 'Encounter', 'model': 'stg_fhir__encounters', 'id': 'encounter_id',
            'clinical': true, 'omop': 'visit_occurrence'},
        {'type': 'Condition', 'model': 'stg_fhir__conditions', 'id': 'condition_id',
            'clinical': true, 'omop': 'condition_occurrence (or the table its concept domain names)'},
        {'type': 'Observation', 'model': 'stg_fhir__observations', 'id': 'observation_id',
            'clinical': true, 'omop': 'measurement, observation (by concept domain)'},
        {'type': 'MedicationRequest', 'model': 'stg_fhir__medication_requests',
            'id': 'medication_request_id', 'clinical': true,
            'omop': 'drug_exposure (or the table its concept domain names)'},
        {'type': 'Procedure', 'model': 'stg_fhir__procedures', 'id': 'procedure_id',
            'clinical': true, 'omop': 'procedure_occurrence (or the table its concept domain names)'},
        {'type': 'Organization', 'model': 'stg_fhir__organizations', 'id': 'organization_id',
            'clinical': false, 'omop': 'care_site, location'},
        {'type': 'Practitioner', 'model': 'stg_fhir__practitioners', 'id': 'practitioner_id',
            'clinical': false, 'omop': 'provider'},
        {'type': 'Medication', 'model': 'stg_fhir__medications', 'id': 'medication_id',
            'clinical': false, 'omop': 'drug_exposure (the drug of the MedicationRequest naming it)'},
    ] -%}
    {{ return(types | selectattr('clinical') | list if clinical_only else types) }}
{%- endmacro %}
