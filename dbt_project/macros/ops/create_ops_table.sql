{#-
    DDL for a table the on-run-end hooks append to (ops.dbt_run_results,
    ops.omop_table_row_counts): created on the first run, kept after. `columns` is a list of
    (name, type) with the types spelled as DuckDB spells them; Athena says `string` for varchar
    and stores Iceberg at the ops prefix of the data bucket; Trino's Iceberg tables keep
    microseconds (`timestamp(6)`).
-#}
{% macro create_ops_table(name, columns) -%}
    {{ return(adapter.dispatch('create_ops_table', 'healthlake')(name, columns)) }}
{%- endmacro %}

{% macro default__create_ops_table(name, columns) -%}
    create schema if not exists ops;
    create table if not exists ops.{{ name }} (
        {%- for column, type in columns %}
        {{ column }} {{ type }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{#- One statement per call on Trino, so the schema (absent when no ops model ran yet) is created
    here, before the table's DDL is returned. -#}
{% macro trino__create_ops_table(name, columns) -%}
    {%- do run_query('create schema if not exists ' ~ target.database ~ '.ops') -%}
    create table if not exists ops.{{ name }} (
        {%- for column, type in columns %}
        {{ column }} {{ healthlake.timestamp_type() if type == 'timestamp' else type }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{% macro athena__create_ops_table(name, columns) -%}
    create table if not exists ops.{{ name }} (
        {%- for column, type in columns %}
        {{ column }} {{ 'string' if type == 'varchar' else type }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
    location '{{ target.s3_data_dir.rstrip("/") }}/ops/{{ name }}/'
    tblproperties ('table_type' = 'ICEBERG', 'format' = 'parquet')
{%- endmacro %}
