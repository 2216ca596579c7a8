{#-
    Lineage columns for every silver and gold table: which pipeline run built the row, which
    dbt invocation, and when.
-#}
{% macro lineage_columns() -%}
    {{ healthlake.pipeline_run_id() }} as pipeline_run_id,
    cast('{{ invocation_id }}' as varchar) as dbt_invocation_id,
    {{ healthlake.utc_now() }} as transformed_at
{%- endmacro %}
