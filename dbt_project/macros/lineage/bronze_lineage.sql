{#-
    The bronze lineage columns staging passes on: the file a row was loaded from, and the run and
    time of that load. `relation` qualifies them in selects that join other CTEs; single-table
    selects leave it out.
-#}
{% macro bronze_lineage(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ prefix }}source_file,
    {{ prefix }}pipeline_run_id as bronze_pipeline_run_id,
    {{ prefix }}loaded_at as bronze_loaded_at
{%- endmacro %}
