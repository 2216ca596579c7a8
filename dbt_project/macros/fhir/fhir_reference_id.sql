{#-
    The logical id a FHIR reference points to: "Patient/123" -> "123",
    "https://server/fhir/Patient/123/_history/2" -> "123", "urn:uuid:abc" -> "abc" (transaction
    Bundles and Synthea), "#med1" -> "med1" (a contained resource). Null stays null.
-#}
{% macro fhir_reference_id(reference) -%}
    case
        when {{ reference }} like 'urn:uuid:%' then substr({{ reference }}, 10)
        when {{ reference }} like 'urn:oid:%' then substr({{ reference }}, 9)
        when {{ reference }} like '#%' then substr({{ reference }}, 2)
        else nullif(regexp_extract({{ reference }}, '([^/]+)/([^/]+)(/_history/[^/]+)?$', 2), '')
    end
{%- endmacro %}

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
