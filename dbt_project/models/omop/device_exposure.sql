-- OMOP CDM v5.4 DEVICE_EXPOSURE: clinical facts whose concept is in the Device domain.
with

events as (

    select * from {{ ref('int_omop_events_keyed') }}
    where target_table = 'device_exposure' and person_id is not null

),

final as (

    select
        event_id as device_exposure_id,
        person_id,
        concept_id as device_concept_id,
        start_date as device_exposure_start_date,
        start_at as device_exposure_start_datetime,
        end_date as device_exposure_end_date,
        end_at as device_exposure_end_datetime,
        32817 as device_type_concept_id,
        cast(null as varchar) as unique_device_id,
        cast(null as varchar) as production_id,
        cast(null as integer) as quantity,
        provider_id,
        visit_occurrence_id,
        cast(null as integer) as visit_detail_id,
        substr(source_value, 1, 50) as device_source_value,
        source_concept_id as device_source_concept_id,
        cast(null as integer) as unit_concept_id,
        cast(null as varchar) as unit_source_value,
        cast(null as integer) as unit_source_concept_id
    from events

)

select * from final
