{#-
    What every event staging model (Condition, Observation, MedicationRequest, Procedure) says
    about who and where: patient_id (its subject), encounter_id, and the practitioner the
    resource names for itself, the first element of `practitioner_paths` that refers to a
    Practitioner (fhir_practitioner_reference): practitioner_id, or the identifier that
    int_fhir_references_resolved matches (practitioner_identifier_system / _value), and
    practitioner_display. `prefix` qualifies the bronze columns ('latest.').
-#}
{% macro fhir_event_references(practitioner_paths, prefix='') -%}
    {%- set resource_json = prefix ~ 'resource_json' -%}
    {{ fhir_patient_id(prefix ~ 'patient_reference') }} as patient_id,
    {{ fhir_reference_id(json_extract_string(resource_json, '$.encounter.reference')) }}
        as encounter_id,
    {{ fhir_practitioner_reference(resource_json, practitioner_paths, 'id') }} as practitioner_id,
    {{ fhir_practitioner_reference(resource_json, practitioner_paths, 'system') }}
        as practitioner_identifier_system,
    {{ fhir_practitioner_reference(resource_json, practitioner_paths, 'value') }}
        as practitioner_identifier_value,
    {{ fhir_practitioner_reference(resource_json, practitioner_paths, 'display') }}
        as practitioner_display
{%- endmacro %}
