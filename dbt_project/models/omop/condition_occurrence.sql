{{
    config(
        materialized='incremental',
        unique_key='condition_occurrence_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ remove_rows_gone_upstream('condition_occurrence_id', ref('int_omop_events_keyed'), 'event_id', 'condition_occurrence') }}",
    )
}}
-- OMOP CDM v5.4 CONDITION_OCCURRENCE: every clinical fact whose concept is in the Condition
-- domain, and unmapped FHIR Conditions (concept 0, source code kept).
with

events as (

    select * from {{ ref('int_omop_events_keyed') }}
    where target_table = 'condition_occurrence' and person_id is not null

),

final as (

    select
        event_id as condition_occurrence_id,
        person_id,
        concept_id as condition_concept_id,
        start_date as condition_start_date,
        start_at as condition_start_datetime,
        end_date as condition_end_date,
        end_at as condition_end_datetime,
        32817 as condition_type_concept_id,
        cast(null as integer) as condition_status_concept_id,
        cast(null as varchar) as stop_reason,
        provider_id,
        visit_occurrence_id,
        cast(null as integer) as visit_detail_id,
        substr(source_value, 1, 50) as condition_source_value,
        source_concept_id as condition_source_concept_id,
        substr(status_source_value, 1, 50) as condition_status_source_value
    from events

)

select * from final
{{ new_or_changed_rows() }}
