with

source as (

    select * from {{ source('omop_feed', 'omop_observation_period') }}

),

renamed as (

    select
        cast(observation_period_id as integer) as observation_period_id,
        cast(person_id as integer) as person_id,
        cast(observation_period_start_date as date) as observation_period_start_date,
        cast(observation_period_end_date as date) as observation_period_end_date,
        cast(period_type_concept_id as integer) as period_type_concept_id,

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
