-- OMOP CDM v5.4 PROCEDURE_OCCURRENCE: every clinical fact whose concept is in the Procedure
-- domain, and unmapped FHIR Procedures (concept 0, source code kept).
with

events as (

    select * from {{ ref('int_omop_events_keyed') }}
    where target_table = 'procedure_occurrence' and person_id is not null

),

final as (

    select
        event_id as procedure_occurrence_id,
        person_id,
        concept_id as procedure_concept_id,
        start_date as procedure_date,
        start_at as procedure_datetime,
        end_date as procedure_end_date,
        end_at as procedure_end_datetime,
        32817 as procedure_type_concept_id,
        cast(null as integer) as modifier_concept_id,
        cast(null as integer) as quantity,
        provider_id,
        visit_occurrence_id,
        cast(null as integer) as visit_detail_id,
        substr(source_value, 1, 50) as procedure_source_value,
        source_concept_id as procedure_source_concept_id,
        cast(null as varchar) as modifier_source_value
    from events

)

select * from final
