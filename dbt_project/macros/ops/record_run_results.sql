{#-
    on-run-end: append one row per executed node (model, seed, test, snapshot) to
    ops.dbt_run_results: which pipeline run and dbt invocation, on which target, the node's
    status, failures, rows affected and seconds. Together with ops.omop_table_row_counts this is
    the run evidence of every build, on both engines.
-#}
{% macro record_run_results(results) %}
    {%- if execute and results -%}
        {%- do run_query(healthlake.create_ops_table('dbt_run_results', [
            ('pipeline_run_id', 'varchar'),
            ('dbt_invocation_id', 'varchar'),
            ('target_name', 'varchar'),
            ('node_id', 'varchar'),
            ('resource_type', 'varchar'),
            ('status', 'varchar'),
            ('failures', 'bigint'),
            ('rows_affected', 'bigint'),
            ('execution_seconds', 'double'),
            ('run_started_at', 'timestamp'),
            ('run_finished_at', 'timestamp'),
        ])) -%}
        {%- set finished_at = modules.datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M:%S') -%}
        {%- set started_at = run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
        {%- set rows = [] -%}
        {%- for result in results -%}
            {%- set rows_affected = (result.adapter_response or {}).get('rows_affected') -%}
            {%- do rows.append(
                "(" ~ healthlake.pipeline_run_id()
                ~ ", '" ~ invocation_id ~ "'"
                ~ ", '" ~ target.name ~ "'"
                ~ ", '" ~ result.node.unique_id | replace("'", "''") ~ "'"
                ~ ", '" ~ result.node.resource_type ~ "'"
                ~ ", '" ~ result.status ~ "'"
                ~ ", " ~ (result.failures if result.failures is not none else 'null')
                ~ ", " ~ (rows_affected if rows_affected is number and rows_affected >= 0 else 'null')
                ~ ", " ~ (result.execution_time | round(3))
                ~ ", cast('" ~ started_at ~ "' as " ~ healthlake.timestamp_type() ~ ")"
                ~ ", cast('" ~ finished_at ~ "' as " ~ healthlake.timestamp_type() ~ "))"
            ) -%}
        {%- endfor -%}
        {%- for batch in rows | batch(500) -%}
            {%- do run_query(
                "insert into ops.dbt_run_results values " ~ batch | join(", ")
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
