{#- The current UTC time as a timestamp without time zone (Iceberg on Athena has no timestamptz). -#}
{% macro utc_now() -%}
    {{ return(adapter.dispatch('utc_now', 'healthlake')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    cast(timezone('UTC', current_timestamp) as timestamp)
{%- endmacro %}

{% macro trino__utc_now() -%}
    cast(current_timestamp at time zone 'UTC' as timestamp(6))
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__utc_now() -%}
    {{ healthlake.trino__utc_now() }}
{%- endmacro %}
