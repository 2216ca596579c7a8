{#-
    on-run-end: append the row count of every OMOP table to ops.omop_table_row_counts, one row
    per table per invocation that ran models. The tables come from the graph (every model under
    models/omop), not from a list to keep in step: a new CDM table is counted the day it exists.
    The OMOP tables carry no lineage columns of their own (they keep the CDM shape), so this is
    their run history. The names are the project's own model names, never user input.
-#}
{% macro record_omop_row_counts(results) %}
    {%- if execute and results | selectattr('node.resource_type', 'equalto', 'model') | list -%}
        {%- set counts = [] -%}
        {%- for node in graph.nodes.values() | sort(attribute='name') -%}
            {%- if node.resource_type == 'model' and node.package_name == project_name
                and node.fqn[1] == 'omop' and node.config.materialized != 'ephemeral' -%}
                {%- set relation = adapter.get_relation(
                    database=node.database, schema=node.schema, identifier=node.alias
                ) -%}
                {%- if relation is not none -%}
                    {%- do counts.append(
                        "select '" ~ node.alias ~ "' as omop_table, count(*) as row_count from "
                        ~ relation
                    ) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if counts -%}
            {%- do run_query(healthlake.create_ops_table('omop_table_row_counts', [
                ('omop_table', 'varchar'),
                ('row_count', 'bigint'),
                ('target_name', 'varchar'),
                ('pipeline_run_id', 'varchar'),
                ('dbt_invocation_id', 'varchar'),
                ('transformed_at', 'timestamp'),
            ])) -%}
            {%- do run_query(
                "insert into ops.omop_table_row_counts select omop_table,"
                ~ " cast(row_count as bigint), cast('" ~ target.name ~ "' as varchar), "
                ~ healthlake.pipeline_run_id() ~ ", cast('" ~ invocation_id ~ "' as varchar), "
                ~ healthlake.utc_now() ~ " from (" ~ counts | join(" union all ") ~ ") as counts"
            ) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
