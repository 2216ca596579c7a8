{#-
    The rows of a bronze FHIR table, one per resource id: its latest version. A resource can
    arrive many times (repeated or incremental exports, the same id in two files); staging reads
    only the version chosen here, by these keys in turn:
    1. meta.lastUpdated as an instant in UTC, latest first (`...T01:00:00Z` beats the earlier
       `...T09:00:00+10:00`); a missing or invalid one (`not-a-date`) loses to any valid one;
    2. then the load: the version loaded by the later ingest;
    3. then the source file (last in path order) and the line or Bundle entry (last first).
    `has_conflicting_versions` is true when the runner-up has the same lastUpdated (or also none)
    but other content: the keys after the first chose between them. ops.fhir_set_aside lists
    those resources.
-#}
{% macro fhir_latest_versions(relation) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by resource_id
                order by last_updated_at desc nulls last, loaded_at desc, source_file desc, source_line desc
            ) as version_rank,
            lead(last_updated_at) over (
                partition by resource_id
                order by last_updated_at desc nulls last, loaded_at desc, source_file desc, source_line desc
            ) as runner_up_last_updated_at,
            lead(resource_json) over (
                partition by resource_id
                order by last_updated_at desc nulls last, loaded_at desc, source_file desc, source_line desc
            ) as runner_up_resource_json
        from (
            select
                *,
                {{ fhir_instant('last_updated') }} as last_updated_at
            from {{ relation }}
        ) as instants
    ) as ranked
    where version_rank = 1
{%- endmacro %}
