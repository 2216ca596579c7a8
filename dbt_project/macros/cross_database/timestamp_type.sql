{#-
    The timestamp type of stored columns. Iceberg on Athena stores microseconds and rejects
    Trino's default timestamp(3) in CREATE TABLE AS, so Athena says timestamp(6).
-#}
{% macro timestamp_type() -%}
    {{ return(adapter.dispatch('timestamp_type', 'healthlake')()) }}
{%- endmacro %}

{% macro default__timestamp_type() -%}
    timestamp
{%- endmacro %}

{% macro trino__timestamp_type() -%}
    timestamp(6)
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__timestamp_type() -%}
    {{ healthlake.trino__timestamp_type() }}
{%- endmacro %}
