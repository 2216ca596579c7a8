{{
    config(
        materialized='incremental',
        unique_key='measurement_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ remove_rows_gone_upstream('measurement_id', ref('int_omop_events_keyed'), 'event_id', 'measurement') }}",
    )
}}
-- OMOP CDM v5.4 MEASUREMENT: every clinical fact whose concept is in the Measurement domain
-- (lab results, vital signs, blood-pressure components, measurement-type procedures), and
-- unmapped lab/vital Observations (concept 0, source code kept).
with

events as (

    select * from {{ ref('int_omop_events_keyed') }}
    where target_table = 'measurement' and person_id is not null

),

final as (

    select
        event_id as measurement_id,
        person_id,
        concept_id as measurement_concept_id,
        start_date as measurement_date,
        start_at as measurement_datetime,
        cast(null as varchar) as measurement_time,
        32817 as measurement_type_concept_id,
        cast(null as integer) as operator_concept_id,
        value_as_number,
        value_as_concept_id,
        unit_concept_id,
        range_low,
        range_high,
        provider_id,
        visit_occurrence_id,
        cast(null as integer) as visit_detail_id,
        substr(source_value, 1, 50) as measurement_source_value,
        source_concept_id as measurement_source_concept_id,
        substr(unit_source_value, 1, 50) as unit_source_value,
        cast(null as integer) as unit_source_concept_id,
        substr(coalesce(value_as_string, {{ number_as_text('value_as_number') }}), 1, 50)
            as value_source_value,
        cast(null as integer) as measurement_event_id,
        cast(null as integer) as meas_event_field_concept_id
    from events

)

select * from final
{{ new_or_changed_rows() }}
