{{ config(materialized='ephemeral') }}
-- Input records ingestion could not load, one row each, as bronze.quarantine keeps them: what
-- ops.bronze_quarantine_summary counts. Ephemeral (inlined where it is read): the raw text can
-- be large and bronze.quarantine already keeps it, so silver holds no second copy.
with

quarantined as (

    select * from {{ source('fhir', 'quarantine') }}

),

final as (

    select
        pipeline_run_id as load_pipeline_run_id,
        source_file,
        source_line,
        coalesce(resource_type, 'unknown') as resource_type,
        resource_id,
        reason,
        raw_text,
        loaded_at as bronze_loaded_at
    from quarantined

)

select * from final
