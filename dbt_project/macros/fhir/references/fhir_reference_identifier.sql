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
