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
