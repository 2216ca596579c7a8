{#-
    The scalar at a JSONPath of a JSON document, as varchar: a string as its text, a number or
    boolean as written; null when absent, JSON null, an array or an object. Trino's
    json_extract_scalar already gives null for an array or object; DuckDB's json_extract_string
    would give its JSON text (`["male"]`), so DuckDB reads the path with json_value, which is
    null for anything but a scalar. Both engines give the same value for the same document.
-#}
{% macro json_extract_string(json_expression, path) -%}
    {{ return(adapter.dispatch('json_extract_string', 'healthlake')(json_expression, path)) }}
{%- endmacro %}

{% macro default__json_extract_string(json_expression, path) -%}
    (json_value({{ json_expression }}, '{{ path }}') ->> '$')
{%- endmacro %}

{% macro trino__json_extract_string(json_expression, path) -%}
    json_extract_scalar({{ json_expression }}, '{{ path }}')
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__json_extract_string(json_expression, path) -%}
    {{ healthlake.trino__json_extract_string(json_expression, path) }}
{%- endmacro %}
