-- OMOP CDM v5.4 OBSERVATION: every clinical fact whose concept is in the Observation domain
-- (survey answers, social history, findings such as obesity), and unmapped non-lab FHIR
-- Observations (concept 0, source code kept).
with

events as (

    select * from {{ ref('int_omop_events_keyed') }}
    where target_table = 'observation' and person_id is not null

),

final as (

    select
        event_id as observation_id,
        person_id,
        concept_id as observation_concept_id,
        start_date as observation_date,
        start_at as observation_datetime,
        32817 as observation_type_concept_id,
        value_as_number,
        substr(value_as_string, 1, 60) as value_as_string,
        value_as_concept_id,
        cast(null as integer) as qualifier_concept_id,
        unit_concept_id,
        provider_id,
        visit_occurrence_id,
        cast(null as integer) as visit_detail_id,
        substr(source_value, 1, 50) as observation_source_value,
        source_concept_id as observation_source_concept_id,
        substr(unit_source_value, 1, 50) as unit_source_value,
        cast(null as varchar) as qualifier_source_value,
        substr(coalesce(value_as_string, {{ number_as_text('value_as_number') }}), 1, 50)
            as value_source_value,
        cast(null as integer) as observation_event_id,
        cast(null as integer) as obs_event_field_concept_id
    from events

)

select * from final
