{#- The staged row `staged` names a (load, source_file) that bronze `relation` no longer has. -#}
{% macro fhir_staged_version_vanished(staged, relation) -%}
    not exists (
        select 1
        from {{ relation }} as bronze_versions
        where
            bronze_versions.pipeline_run_id = {{ staged }}.bronze_pipeline_run_id
            and bronze_versions.loaded_at = {{ staged }}.bronze_loaded_at
            and bronze_versions.source_file = {{ staged }}.source_file
    )
{%- endmacro %}
