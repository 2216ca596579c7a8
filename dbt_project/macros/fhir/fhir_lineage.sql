{#-
    The bronze lineage columns staging passes on. `relation` qualifies them in selects that
    join other CTEs; single-table selects leave it out.
-#}
{% macro fhir_bronze_lineage(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ fhir_date(prefix ~ 'last_updated') }} as last_updated_date,
    {{ prefix }}source_file,
    {{ prefix }}pipeline_run_id as bronze_pipeline_run_id,
    {{ prefix }}loaded_at as bronze_loaded_at
{%- endmacro %}
