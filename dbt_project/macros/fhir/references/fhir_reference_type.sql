{#-
    The resource type a reference names: "Practitioner/1", ".../Practitioner/1/_history/2" and
    "Practitioner?identifier=..." give Practitioner; urn:uuid and contained ("#id") references
    name no type (null).
-#}
{% macro fhir_reference_type(reference) -%}
    case
        when {{ reference }} like 'urn:%' or {{ reference }} like '#%' then null
        when {{ reference }} like '%?%'
            then nullif(regexp_extract({{ reference }}, '([^/?]+)[?]', 1), '')
        else nullif(regexp_extract({{ reference }}, '([^/]+)/([^/]+)(/_history/[^/]+)?$', 1), '')
    end
{%- endmacro %}
