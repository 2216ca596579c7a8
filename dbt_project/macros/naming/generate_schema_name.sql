{#-
    Schemas are named exactly as configured (bronze, silver, omop, gold, ops) on every target,
    instead of dbt's default "<target schema>_<custom schema>": the lakehouse contract that
    docs, SQL clients and the Athena Glue databases rely on.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
