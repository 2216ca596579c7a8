{#-
    The Patient id a subject/patient reference points to, or null when it points to something
    else (a Group, a Location, a Device: FHIR allows those as Observation.subject).
-#}
{% macro fhir_patient_id(reference) -%}
    case
        when
            {{ reference }} like 'urn:%'
            or {{ reference }} like '#%'
            or regexp_extract({{ reference }}, '([^/]+)/([^/]+)(/_history/[^/]+)?$', 1) = 'Patient'
            then {{ fhir_reference_id(reference) }}
    end
{%- endmacro %}
