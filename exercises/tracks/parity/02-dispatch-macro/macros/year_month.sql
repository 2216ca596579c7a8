{# A date as YYYY-MM text. strftime is DuckDB's; Athena has no such function. #}
{% macro year_month(column) %}
    strftime({{ column }}, '%Y-%m')
{% endmacro %}
