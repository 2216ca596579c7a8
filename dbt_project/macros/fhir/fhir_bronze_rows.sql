{#-
    The rows of a bronze FHIR table (fhir_bronze_table), or none with its columns when bronze
    has no such table: a view of a resource type nobody loaded yet is an empty table, not a
    failed build.
-#}
{% macro fhir_bronze_rows(relation) -%}
    {%- if relation is not none -%}
        select * from {{ relation }}
    {%- else -%}
        select
            cast(null as varchar) as resource_type,
            cast(null as varchar) as resource_id,
            cast(null as varchar) as last_updated,
            cast(null as varchar) as patient_reference,
            cast(null as varchar) as resource_json,
            cast(null as varchar) as source_file,
            cast(null as bigint) as source_line,
            cast(null as varchar) as pipeline_run_id,
            cast(null as {{ timestamp_type() }}) as loaded_at
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
