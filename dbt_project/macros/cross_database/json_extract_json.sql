{#- The JSON value at a JSONPath of a JSON document, serialized as varchar (null when absent). -#}
{% macro json_extract_json(json_expression, path) -%}
    {{ return(adapter.dispatch('json_extract_json', 'healthlake')(json_expression, path)) }}
{%- endmacro %}

{% macro default__json_extract_json(json_expression, path) -%}
    cast(json_extract({{ json_expression }}, '{{ path }}') as varchar)
{%- endmacro %}

{% macro trino__json_extract_json(json_expression, path) -%}
    json_format(json_extract({{ json_expression }}, '{{ path }}'))
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__json_extract_json(json_expression, path) -%}
    {{ healthlake.trino__json_extract_json(json_expression, path) }}
{%- endmacro %}
