{#-
    Lineage columns for every silver and gold table: which pipeline run built the row
    ($PIPELINE_RUN_ID, set by `just run-local` / `just build`; null only when dbt is run by hand
    without it), which dbt invocation, and when.
-#}
{% macro lineage_columns() -%}
    cast({{ "'" ~ env_var('PIPELINE_RUN_ID') ~ "'" if env_var('PIPELINE_RUN_ID', '') else 'null' }} as varchar) as pipeline_run_id,
    cast('{{ invocation_id }}' as varchar) as dbt_invocation_id,
    {{ healthlake.utc_now() }} as transformed_at
{%- endmacro %}
