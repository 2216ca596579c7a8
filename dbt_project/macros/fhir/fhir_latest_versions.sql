{#-
    The rows of a bronze FHIR table, one per resource id: the latest version by meta.lastUpdated,
    then by load time and position. A resource can arrive many times (repeated or incremental
    exports); staging models read only its newest version.
-#}
{% macro fhir_latest_versions(relation) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by resource_id
                order by last_updated desc nulls last, loaded_at desc, source_file desc, source_line desc
            ) as version_rank
        from {{ relation }}
    ) as ranked
    where version_rank = 1
{%- endmacro %}
