{#- The scalar at a JSONPath of a JSON document, as varchar (null when absent). -#}
{% macro json_extract_string(json_expression, path) -%}
    {{ return(adapter.dispatch('json_extract_string', 'healthlake')(json_expression, path)) }}
{%- endmacro %}

{% macro default__json_extract_string(json_expression, path) -%}
    json_extract_string({{ json_expression }}, '{{ path }}')
{%- endmacro %}

{% macro athena__json_extract_string(json_expression, path) -%}
    json_extract_scalar({{ json_expression }}, '{{ path }}')
{%- endmacro %}
