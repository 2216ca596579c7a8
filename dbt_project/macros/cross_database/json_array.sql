{#-
    The JSON array at a JSONPath of a JSON document, as an array of JSON values that
    `cross join unnest(...)` can expand (empty or null when absent, so the join drops the row).
-#}
{% macro json_array(json_expression, path) -%}
    {{ return(adapter.dispatch('json_array', 'healthlake')(json_expression, path)) }}
{%- endmacro %}

{% macro default__json_array(json_expression, path) -%}
    json_extract({{ json_expression }}, '{{ path }}[*]')
{%- endmacro %}

{#- try_cast: real exports put an object where FHIR has an array (`"identifier": {...}`), and
    Trino's cast of a JSON object to an array fails the query; DuckDB's [*] gives no rows. -#}
{% macro trino__json_array(json_expression, path) -%}
    try_cast(json_extract({{ json_expression }}, '{{ path }}') as array(json))
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__json_array(json_expression, path) -%}
    {{ healthlake.trino__json_array(json_expression, path) }}
{%- endmacro %}
