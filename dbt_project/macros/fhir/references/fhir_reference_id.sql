{#-
    The logical id a FHIR reference points to: "Patient/123" -> "123",
    "https://server/fhir/Patient/123/_history/2" -> "123", "urn:uuid:abc" -> "abc" (transaction
    Bundles and Synthea), "#med1" -> "med1" (a contained resource). Null stays null, and so does
    a conditional reference ("Practitioner?identifier=system|value"): it names no id, only an
    identifier to search for (fhir_reference_identifier.sql).
-#}
{% macro fhir_reference_id(reference) -%}
    case
        when {{ reference }} like 'urn:uuid:%' then substr({{ reference }}, 10)
        when {{ reference }} like 'urn:oid:%' then substr({{ reference }}, 9)
        when {{ reference }} like '#%' then substr({{ reference }}, 2)
        when {{ reference }} like '%?%' then null
        else nullif(regexp_extract({{ reference }}, '([^/]+)/([^/]+)(/_history/[^/]+)?$', 2), '')
    end
{%- endmacro %}
