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

{% macro athena__timestamp_type() -%}
    timestamp(6)
{%- endmacro %}
