{#-
    True when `value` matches the regular expression `pattern` anywhere (anchor it with ^ and $
    to match it whole); null when `value` is null. DuckDB says regexp_matches, Trino regexp_like.
-#}
{% macro matches_pattern(value, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'healthlake')(value, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(value, pattern) -%}
    regexp_matches({{ value }}, '{{ pattern }}')
{%- endmacro %}

{% macro trino__matches_pattern(value, pattern) -%}
    regexp_like({{ value }}, '{{ pattern }}')
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__matches_pattern(value, pattern) -%}
    {{ healthlake.trino__matches_pattern(value, pattern) }}
{%- endmacro %}
