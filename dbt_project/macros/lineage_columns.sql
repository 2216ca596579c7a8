{#-
    The pipeline run id as a SQL varchar: $PIPELINE_RUN_ID, set once per run by
    `just run-local` / `just build`; null only when dbt is run by hand without it.
-#}
{% macro pipeline_run_id() -%}
    {%- set run_id = env_var('PIPELINE_RUN_ID', '') -%}
    {%- if run_id -%}
        cast('{{ run_id | replace("'", "''") }}' as varchar)
    {%- else -%}
        cast(null as varchar)
    {%- endif -%}
{%- endmacro %}

{#-
    Lineage columns for every silver and gold table: which pipeline run built the row, which
    dbt invocation, and when.
-#}
{% macro lineage_columns() -%}
    {{ healthlake.pipeline_run_id() }} as pipeline_run_id,
    cast('{{ invocation_id }}' as varchar) as dbt_invocation_id,
    {{ healthlake.utc_now() }} as transformed_at
{%- endmacro %}
