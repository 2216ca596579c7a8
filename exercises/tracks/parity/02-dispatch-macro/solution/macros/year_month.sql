{# A date as YYYY-MM text: DuckDB's strftime, Athena's (Trino's) date_format. #}
{% macro year_month(column) %}
    {{ return(adapter.dispatch('year_month', 'learner')(column)) }}
{% endmacro %}

{% macro default__year_month(column) %}
    strftime({{ column }}, '%Y-%m')
{% endmacro %}

{% macro athena__year_month(column) %}
    date_format({{ column }}, '%Y-%m')
{% endmacro %}
