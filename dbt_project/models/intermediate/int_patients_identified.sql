-- Every FHIR Patient with its OMOP person_id, the demographics only FHIR has (name, the exact
-- birth date, address) and, when an OMOP feed was loaded, that feed's record of the same person:
-- what gold.dim_patient shows beside omop.person, so gold reads no staging model.
with

patients as (

    select * from {{ ref('stg_fhir__patients') }}

),

person_ids as (

    select * from {{ ref('int_person_ids_assigned') }}

),

feed as (

    select * from {{ ref('stg_omop_feed__persons') }}

),

final as (

    select
        person_ids.person_id,
        patients.patient_id,
        patients.given_name,
        patients.family_name,
        patients.gender,
        patients.birth_date,
        patients.address_city,
        patients.address_state,
        patients.address_postal_code,
        feed.person_id is not null as is_in_omop_feed,
        feed.year_of_birth as feed_year_of_birth,
        feed.month_of_birth as feed_month_of_birth,
        feed.day_of_birth as feed_day_of_birth,
        feed.gender_concept_id as feed_gender_concept_id,
        feed.race_concept_id as feed_race_concept_id,
        feed.ethnicity_concept_id as feed_ethnicity_concept_id
    from patients
    inner join person_ids
        on patients.patient_id = person_ids.patient_id
    left join feed
        on person_ids.person_id = feed.person_id

)

select * from final
