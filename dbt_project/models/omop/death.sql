-- OMOP CDM v5.4 DEATH: persons whose FHIR Patient has a deceasedDateTime. A deceasedBoolean
-- without a date cannot fill the required death_date and is counted in ops instead.
with

patients as (

    select * from {{ ref('stg_fhir__patients') }}

),

person_ids as (

    select * from {{ ref('int_person_ids_assigned') }}

),

final as (

    select
        person_ids.person_id,
        patients.death_date,
        patients.deceased_at as death_datetime,
        32817 as death_type_concept_id,
        cast(null as integer) as cause_concept_id,
        cast(null as varchar) as cause_source_value,
        cast(null as integer) as cause_source_concept_id
    from patients
    inner join person_ids
        on patients.patient_id = person_ids.patient_id
    where patients.death_date is not null

)

select * from final
