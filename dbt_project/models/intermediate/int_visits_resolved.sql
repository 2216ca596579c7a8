-- The visits of the CDM, one row per FHIR Encounter of a known patient, in VISIT_OCCURRENCE's
-- shape: omop.visit_occurrence projects it and int_omop_events_keyed places events in it, so
-- both read the same visits and the silver layer never reads the CDM.
-- An Encounter without a period (common in hand-written examples) starts on the earliest event
-- recorded in it, else on its meta.lastUpdated, else on its load date; ops counts those.
{% set visit_start -%}
    coalesce(
        encounters.period_start_date,
        earliest_events.earliest_event_date,
        encounters.last_updated_date,
        cast(encounters.bronze_loaded_at as date)
    )
{%- endset %}

with

encounters as (

    select * from {{ ref('stg_fhir__encounters') }}

),

encounter_references as (

    select * from {{ ref('int_fhir_encounter_references_resolved') }}

),

events as (

    select * from {{ ref('int_fhir_clinical_events_routed') }}

),

earliest_events as (

    select
        encounter_id,
        min(start_date) as earliest_event_date
    from events
    where not is_start_date_imputed and encounter_id is not null
    group by encounter_id

),

visit_classes as (

    select * from {{ ref('visit_class_concept_map') }}

),

person_ids as (

    select * from {{ ref('int_person_ids_assigned') }}

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

final as (

    select
        visits.omop_id as visit_occurrence_id,
        person_ids.person_id,
        coalesce(visit_classes.visit_concept_id, 0) as visit_concept_id,
        {{ visit_start }} as visit_start_date,
        encounters.period_start_at as visit_start_datetime,
        -- An encounter without an end (still open, or recorded as a point) ends the day it began.
        greatest(coalesce(encounters.period_end_date, {{ visit_start }}), {{ visit_start }})
            as visit_end_date,
        encounters.period_end_at as visit_end_datetime,
        32817 as visit_type_concept_id,
        providers.omop_id as provider_id,
        care_sites.omop_id as care_site_id,
        substr(encounters.class_code, 1, 50) as visit_source_value,
        0 as visit_source_concept_id,
        cast(null as integer) as admitted_from_concept_id,
        cast(null as varchar) as admitted_from_source_value,
        cast(null as integer) as discharged_to_concept_id,
        cast(null as varchar) as discharged_to_source_value,
        cast(null as integer) as preceding_visit_occurrence_id
    from encounters
    inner join id_map as visits
        on
            visits.omop_table = 'visit_occurrence'
            and 'Encounter/' || encounters.encounter_id = visits.source_key
    inner join person_ids
        on encounters.patient_id = person_ids.patient_id
    -- The practitioner and service provider as resolved once for int_providers_resolved and
    -- int_care_sites_resolved.
    left join encounter_references
        on encounters.encounter_id = encounter_references.encounter_id
    left join id_map as providers
        on
            providers.omop_table = 'provider'
            and 'Practitioner/' || encounter_references.practitioner_id = providers.source_key
    left join id_map as care_sites
        on
            care_sites.omop_table = 'care_site'
            and 'Organization/' || encounter_references.service_provider_id = care_sites.source_key
    left join earliest_events
        on encounters.encounter_id = earliest_events.encounter_id
    left join visit_classes
        on
            encounters.class_code = visit_classes.class_code
            and coalesce(
                encounters.class_system, visit_classes.class_system
            ) = visit_classes.class_system

)

select * from final
