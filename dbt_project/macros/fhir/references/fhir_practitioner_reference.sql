{#-
    The practitioner a resource names for itself, for an event's OMOP provider_id: `part` ('id',
    'system', 'value' as in fhir_reference_identifier, or 'display') of the first Reference
    element of `paths` (e.g. ['$.asserter', '$.recorder']) that refers to a Practitioner. An
    element of another type (Patient, Organization, PractitionerRole, ...) is passed over; a
    urn:uuid, contained or logical reference without a type counts as a practitioner.
    int_fhir_references_resolved resolves id or identifier to the provider key.
-#}
{% macro fhir_practitioner_reference(json_expression, paths, part) -%}
    case
        {%- for path in paths %}
            {%- set reference = json_extract_string(json_expression, path ~ '.reference') %}
            {%- set identifier_value = json_extract_string(
                json_expression, path ~ '.identifier.value'
            ) %}
        when
            coalesce({{ reference }}, {{ identifier_value }}) is not null
            and coalesce(
                {{ fhir_reference_type(reference) }},
                {{ json_extract_string(json_expression, path ~ '.type') }},
                'Practitioner'
            ) = 'Practitioner'
            then
            {%- if part == 'id' %} {{ fhir_reference_id(reference) }}
            {%- elif part == 'display' %} {{ json_extract_string(json_expression, path ~ '.display') }}
            {%- else %} {{ fhir_reference_identifier(json_expression, path, part) }}
            {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}
