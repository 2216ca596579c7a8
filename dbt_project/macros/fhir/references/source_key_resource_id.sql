{#- The FHIR id in an id-map source key: "Observation/o-1#2" -> "o-1", "Patient/p-1" -> "p-1". -#}
{% macro source_key_resource_id(source_key) -%}
    regexp_extract({{ source_key }}, '^[^/]+/([^#]*)', 1)
{%- endmacro %}
