{{
    config(
        materialized='incremental',
        unique_key='visit_occurrence_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ remove_rows_gone_upstream('visit_occurrence_id', ref('int_visits_resolved'), 'visit_occurrence_id') }}",
    )
}}
-- OMOP CDM v5.4 VISIT_OCCURRENCE, one row per FHIR Encounter of a known patient: the visits
-- int_visits_resolved dated and keyed, merged on their id (only new or changed rows are written).
select * from {{ ref('int_visits_resolved') }}
{{ new_or_changed_rows() }}
