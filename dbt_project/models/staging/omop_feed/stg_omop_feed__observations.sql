with

source as (

    select * from {{ source('omop_feed', 'omop_observation') }}

),

renamed as (

    select
        cast(observation_id as integer) as observation_id,
        cast(person_id as integer) as person_id,
        cast(observation_concept_id as integer) as observation_concept_id,
        cast(observation_date as date) as observation_date,
        cast(observation_datetime as {{ timestamp_type() }}) as observation_datetime,
        cast(observation_type_concept_id as integer) as observation_type_concept_id,
        cast(value_as_number as double) as value_as_number,
        value_as_string,
        cast(value_as_concept_id as integer) as value_as_concept_id,
        cast(qualifier_concept_id as integer) as qualifier_concept_id,
        cast(unit_concept_id as integer) as unit_concept_id,
        cast(provider_id as integer) as provider_id,
        cast(visit_occurrence_id as integer) as visit_occurrence_id,
        cast(visit_detail_id as integer) as visit_detail_id,
        observation_source_value,
        cast(observation_source_concept_id as integer) as observation_source_concept_id,
        unit_source_value,
        qualifier_source_value,
        value_source_value,
        cast(observation_event_id as integer) as observation_event_id,
        cast(obs_event_field_concept_id as integer) as obs_event_field_concept_id,

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
