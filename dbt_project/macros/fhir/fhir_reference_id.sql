{#-
    The logical id a FHIR reference points to: "Patient/123" -> "123",
    "https://server/fhir/Patient/123/_history/2" -> "123", "urn:uuid:abc" -> "abc" (transaction
    Bundles and Synthea), "#med1" -> "med1" (a contained resource). Null stays null, and so does
    a conditional reference ("Practitioner?identifier=system|value"): it names no id, only an
    identifier to search for (fhir_reference_identifier below).
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

{#-
    The identifier system or value (`part`) a Reference names instead of, or beside, an id:
    - a conditional reference, "Type?identifier=system|value" (Synthea's practitioners and
      organizations), "Type?identifier=value" or "Type?identifier=|value" (no system: null);
    - else the Reference's own `identifier` (a logical reference, e.g. our generator's
      serviceProvider {"identifier": {"system": ..., "value": ...}}).
    `json_expression` is the resource JSON and `path` the Reference element ('$.serviceProvider').
    Matching the identifier to a resource is int_fhir_encounter_references_resolved's job.
-#}
{% macro fhir_reference_identifier(json_expression, path, part) -%}
    {%- set groups = {'system': 1, 'value': 2} -%}
    {%- set reference = json_extract_string(json_expression, path ~ '.reference') -%}
    case
        when {{ reference }} like '%?%'
            then nullif(
                regexp_extract(
                    {{ reference }},
                    '[?&]identifier=(?:([^&|]*)[|])?([^&]*)',
                    {{ groups[part] }}
                ),
                ''
            )
        else {{ json_extract_string(json_expression, path ~ '.identifier.' ~ part) }}
    end
{%- endmacro %}
