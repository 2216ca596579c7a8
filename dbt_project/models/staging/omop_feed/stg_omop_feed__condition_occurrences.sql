with

source as (

    select * from {{ source('omop_feed', 'omop_condition_occurrence') }}

),

renamed as (

    select
        cast(condition_occurrence_id as integer) as condition_occurrence_id,
        cast(person_id as integer) as person_id,
        cast(condition_concept_id as integer) as condition_concept_id,
        cast(condition_start_date as date) as condition_start_date,
        cast(condition_start_datetime as {{ timestamp_type() }}) as condition_start_datetime,
        cast(condition_end_date as date) as condition_end_date,
        cast(condition_end_datetime as {{ timestamp_type() }}) as condition_end_datetime,
        cast(condition_type_concept_id as integer) as condition_type_concept_id,
        cast(condition_status_concept_id as integer) as condition_status_concept_id,
        stop_reason,
        cast(provider_id as integer) as provider_id,
        cast(visit_occurrence_id as integer) as visit_occurrence_id,
        cast(visit_detail_id as integer) as visit_detail_id,
        condition_source_value,
        cast(condition_source_concept_id as integer) as condition_source_concept_id,
        condition_status_source_value,

        ---------- lineage
        {{ bronze_lineage() }}

    from source

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from renamed

)

select * from final
