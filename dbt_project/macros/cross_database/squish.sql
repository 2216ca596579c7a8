{#-
    Text with leading and trailing whitespace removed and each inner run of whitespace made one
    space; null when nothing is left. Trino's regexp_replace replaces every match; DuckDB's
    needs the 'g' flag.
-#}
{% macro squish(value) -%}
    {{ return(adapter.dispatch('squish', 'healthlake')(value)) }}
{%- endmacro %}

{% macro default__squish(value) -%}
    nullif(regexp_replace(trim({{ value }}), '\s+', ' ', 'g'), '')
{%- endmacro %}

{% macro trino__squish(value) -%}
    nullif(regexp_replace(trim({{ value }}), '\s+', ' '), '')
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__squish(value) -%}
    {{ healthlake.trino__squish(value) }}
{%- endmacro %}
