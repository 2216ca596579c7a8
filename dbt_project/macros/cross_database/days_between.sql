{#-
    Whole days from `start_date` to `end_date`. date_diff('day', a, b) means the same in DuckDB
    and Trino, so no dispatch is needed; dbt's own datediff renders interval arithmetic on
    Athena that is harder to read and to check.
-#}
{% macro days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}
