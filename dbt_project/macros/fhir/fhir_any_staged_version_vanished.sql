{#-
    Whether any staged row's (load, source_file) is gone from bronze, asked when the node runs
    (distinct loads and files on both sides: cheap beside parsing). Never in a unit test, whose
    `this` is a fixture rather than a table to query.
-#}
{% macro fhir_any_staged_version_vanished(relation) -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set vanished = run_query(
        "select count(*) from (select distinct bronze_pipeline_run_id, bronze_loaded_at,"
        ~ " source_file from " ~ this ~ ") as staged where not exists (select 1 from"
        ~ " (select distinct pipeline_run_id, loaded_at, source_file from " ~ relation
        ~ ") as loads where loads.pipeline_run_id = staged.bronze_pipeline_run_id"
        ~ " and loads.loaded_at = staged.bronze_loaded_at"
        ~ " and loads.source_file = staged.source_file)"
    ) -%}
    {{ return(vanished.rows[0][0] > 0) }}
{%- endmacro %}
