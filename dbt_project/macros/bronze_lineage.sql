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

{#- bronze_lineage, and the resource's meta.lastUpdated as a date, for FHIR staging. -#}
{% macro fhir_bronze_lineage(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ fhir_date(prefix ~ 'last_updated') }} as last_updated_date,
    {{ bronze_lineage(relation) }}
{%- endmacro %}
