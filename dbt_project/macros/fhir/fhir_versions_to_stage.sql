{#-
    The bronze rows an incremental FHIR staging model parses in this build. On a full build (or
    `--full-refresh`): every row of `relation`. On an incremental build: every version of each
    resource that a load not staged yet carries, or whose staged version bronze no longer
    holds; so fhir_latest_versions picks the same version, and the same runner-up, that a full
    build would, and the model's unique key replaces the resource's row. Resources no load
    touched are not read again: their JSON is parsed once, by the build that first saw them.

    A load is its (pipeline_run_id, loaded_at): every bronze row carries both, and a load
    stamps one loaded_at for all its rows. Loads are told apart by identity, not by time:
    loaded_at is stamped when a load starts, so overlapping loads could commit out of order
    and a time watermark would skip the earlier one; and a run id alone misses a run loaded
    again under the same id.

    Bronze rows do go away: loading a file path again replaces every row that path loaded
    before (iceberg/loaders.py), e.g. `just run-local` with another size rewrites the generated
    files. A staged row whose (load, source_file) bronze no longer holds is staged again from
    the versions that remain, and removed by fhir_remove_vanished_resources when none remains.

    A load whose every version lost to a version already staged (an older export loaded after
    a newer one) leaves no staged row naming it, so its resources are staged again on each
    build, with the same result, until a newer load wins.
-#}
{% macro fhir_versions_to_stage(relation, staged_id) -%}
    {%- if is_incremental() -%}
        select *
        from {{ relation }}
        where resource_id in (
            select unstaged.resource_id
            from {{ relation }} as unstaged
            where not exists (
                select 1
                from (
                    select distinct bronze_pipeline_run_id, bronze_loaded_at from {{ this }}
                ) as staged_loads
                where
                    staged_loads.bronze_pipeline_run_id = unstaged.pipeline_run_id
                    and staged_loads.bronze_loaded_at = unstaged.loaded_at
            )
            {%- if fhir_any_staged_version_vanished(relation) %}
            union all
            select staged.{{ staged_id }}
            from {{ this }} as staged
            where {{ fhir_staged_version_vanished('staged', relation) }}
            {%- endif %}
        )
    {%- else -%}
        select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}
