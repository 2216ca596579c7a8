-- What did ingestion set aside, and why? One row per load run, source file, resource type and
-- reason, with the number of records quarantined: the records are kept in bronze.quarantine
-- with their raw text, so nothing is lost; this is the list to fix at the source.
with

quarantined as (

    select * from {{ ref('stg_fhir__quarantined_records') }}

),

final as (

    select
        load_pipeline_run_id,
        source_file,
        resource_type,
        reason,
        count(*) as quarantined_records,
        min(source_line) as first_source_line,
        {{ lineage_columns() }}
    from quarantined
    group by load_pipeline_run_id, source_file, resource_type, reason

)

select * from final
