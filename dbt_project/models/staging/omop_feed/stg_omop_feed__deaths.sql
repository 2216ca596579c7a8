with

source as (

    select * from {{ source('omop_feed', 'omop_death') }}

),

renamed as (

    select
        cast(person_id as integer) as person_id,
        cast(death_date as date) as death_date,
        cast(death_datetime as {{ timestamp_type() }}) as death_datetime,
        cast(death_type_concept_id as integer) as death_type_concept_id,
        cast(cause_concept_id as integer) as cause_concept_id,
        cause_source_value,
        cast(cause_source_concept_id as integer) as cause_source_concept_id,

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
