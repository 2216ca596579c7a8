-- Who are our patients? One row per person: the FHIR demographics (name, address) and the OMOP
-- concepts side by side, age and vital status as of the marts' as-of date, and whether the OMOP
-- feed (when one was loaded) agrees with the OMOP built from FHIR for that person.
with

person as (

    select * from {{ ref('person') }}

),

deaths as (

    select * from {{ ref('death') }}

),

patients as (

    select * from {{ ref('int_patients_identified') }}

),

final as (

    select
        person.person_id,
        patients.patient_id,
        patients.given_name,
        patients.family_name,
        patients.gender,
        person.gender_concept_id,
        patients.birth_date,
        person.year_of_birth,
        cast(
            extract(year from {{ as_of_date() }}) - person.year_of_birth as integer
        ) as age_at_as_of_date,
        person.race_concept_id,
        person.ethnicity_concept_id,
        patients.address_city,
        patients.address_state,
        patients.address_postal_code,
        deaths.death_date,
        deaths.person_id is not null as is_deceased,
        patients.is_in_omop_feed,
        coalesce(
            patients.feed_year_of_birth = person.year_of_birth
            and coalesce(patients.feed_month_of_birth, -1) = coalesce(person.month_of_birth, -1)
            and coalesce(patients.feed_day_of_birth, -1) = coalesce(person.day_of_birth, -1)
            and patients.feed_gender_concept_id = person.gender_concept_id
            and patients.feed_race_concept_id = person.race_concept_id
            and patients.feed_ethnicity_concept_id = person.ethnicity_concept_id,
            false
        ) as is_reconciled_with_feed,
        {{ lineage_columns() }}
    from person
    inner join patients
        on person.person_id = patients.person_id
    left join deaths
        on person.person_id = deaths.person_id

)

select * from final
