with

source as (

    select * from {{ source('omop_feed', 'omop_visit_occurrence') }}

),

renamed as (

    select
        cast(visit_occurrence_id as integer) as visit_occurrence_id,
        cast(person_id as integer) as person_id,
        cast(visit_concept_id as integer) as visit_concept_id,
        cast(visit_start_date as date) as visit_start_date,
        cast(visit_start_datetime as {{ timestamp_type() }}) as visit_start_datetime,
        cast(visit_end_date as date) as visit_end_date,
        cast(visit_end_datetime as {{ timestamp_type() }}) as visit_end_datetime,
        cast(visit_type_concept_id as integer) as visit_type_concept_id,
        cast(provider_id as integer) as provider_id,
        cast(care_site_id as integer) as care_site_id,
        visit_source_value,
        cast(visit_source_concept_id as integer) as visit_source_concept_id,
        cast(admitted_from_concept_id as integer) as admitted_from_concept_id,
        admitted_from_source_value,
        cast(discharged_to_concept_id as integer) as discharged_to_concept_id,
        discharged_to_source_value,
        cast(preceding_visit_occurrence_id as integer) as preceding_visit_occurrence_id,

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
