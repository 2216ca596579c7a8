-- OMOP CDM v5.4 OBSERVATION_PERIOD: one span per person, from the first to the last recorded
-- event (visits, conditions, drugs, procedures, devices, measurements, observations, death).
-- EHR data has no enrollment, so the span of recorded care is the observed time (THEMIS); a
-- person with no events gets a one-day period on the date their record was last updated.
with

person_ids as (

    select * from {{ ref('int_person_ids_assigned') }}

),

patients as (

    select * from {{ ref('stg_fhir__patients') }}

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

visits as (

    select * from {{ ref('visit_occurrence') }}

),

events as (

    select * from {{ ref('int_omop_events_keyed') }}
    where person_id is not null

),

event_dates as (

    select
        person_id,
        visit_start_date as start_date,
        visit_end_date as end_date
    from visits
    union all
    select
        person_id,
        start_date,
        greatest(start_date, coalesce(end_date, start_date)) as end_date
    from events
    union all
    select
        person_ids.person_id,
        patients.death_date as start_date,
        patients.death_date as end_date
    from patients
    inner join person_ids
        on patients.patient_id = person_ids.patient_id
    where patients.death_date is not null

),

spans as (

    select
        person_id,
        min(start_date) as start_date,
        max(end_date) as end_date
    from event_dates
    group by person_id

),

final as (

    select
        periods.omop_id as observation_period_id,
        person_ids.person_id,
        coalesce(
            spans.start_date, patients.last_updated_date, cast(patients.bronze_loaded_at as date)
        ) as observation_period_start_date,
        coalesce(
            spans.end_date, patients.last_updated_date, cast(patients.bronze_loaded_at as date)
        ) as observation_period_end_date,
        32817 as period_type_concept_id
    from person_ids
    inner join patients
        on person_ids.patient_id = patients.patient_id
    inner join id_map as periods
        on
            periods.omop_table = 'observation_period'
            and 'Patient/' || person_ids.patient_id = periods.source_key
    left join spans
        on person_ids.person_id = spans.person_id

)

select * from final
