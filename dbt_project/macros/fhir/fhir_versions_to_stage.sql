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
            {%- if fhir_staged_versions_vanished(relation) %}
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


{#-
    A post-hook of the incremental FHIR staging models: deletes the rows of resources bronze no
    longer holds any version of (their file was loaded again without them). Empty, so not run,
    when no staged row lost its bronze version.
-#}
{% macro fhir_remove_vanished_resources(relation) -%}
    {%- if is_incremental() and fhir_staged_versions_vanished(relation) -%}
        delete from {{ this }}
        where {{ fhir_staged_version_vanished(this, relation) }}
    {%- endif -%}
{%- endmacro %}


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


{#-
    Whether any staged row's (load, source_file) is gone from bronze, asked when the node runs
    (distinct loads and files on both sides: cheap beside parsing). Never in a unit test, whose
    `this` is a fixture rather than a table to query.
-#}
{% macro fhir_staged_versions_vanished(relation) -%}
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
