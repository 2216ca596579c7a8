-- OMOP CDM v5.4 CDM_SOURCE: what this CDM instance is and which run built it. The OMOP tables
-- carry no lineage columns of their own; cdm_etl_reference names the pipeline run and dbt
-- invocation, and ops.omop_table_row_counts keeps row counts per table per run.
with

loads as (

    select max(bronze_loaded_at) as last_loaded_at
    from {{ ref('stg_fhir__patients') }}

),

final as (

    select
        'healthlake synthetic lakehouse' as cdm_source_name,
        'healthlake' as cdm_source_abbreviation,
        'healthlake' as cdm_holder,
        'OMOP CDM v5.4 built by dbt from FHIR R4 resources in the Iceberg bronze layer.'
            as source_description,
        'docs/dbt.md' as source_documentation_reference,
        substr(
            'run '
            || coalesce({{ pipeline_run_id() }}, 'unset')
            || ', dbt invocation {{ invocation_id }}',
            1,
            255
        ) as cdm_etl_reference,
        coalesce(cast(loads.last_loaded_at as date), current_date) as source_release_date,
        current_date as cdm_release_date,
        'v5.4' as cdm_version,
        756265 as cdm_version_concept_id,
        'Eunomia Synthea27Nj' as vocabulary_version
    from loads

)

select * from final
