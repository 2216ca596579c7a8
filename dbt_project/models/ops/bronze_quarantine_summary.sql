-- What did ingestion set aside, and why? One row per load run, source file, resource type and
-- reason, with the number of records quarantined: the records are kept in bronze.quarantine
-- with their raw text, so nothing is lost; this is the list to fix at the source.
with

quarantined as (

    select * from {{ source('fhir', 'quarantine') }}

),

final as (

    select
        pipeline_run_id as load_pipeline_run_id,
        source_file,
        coalesce(resource_type, 'unknown') as resource_type,
        reason,
        count(*) as quarantined_records,
        min(source_line) as first_source_line,
        {{ lineage_columns() }}
    from quarantined
    group by pipeline_run_id, source_file, coalesce(resource_type, 'unknown'), reason

)

select * from final
