-- One row per person: the FHIR and OMOP views of each patient side by side, reconciled.
with

person as (

    select * from {{ ref('person') }}

),

patients as (

    select * from {{ ref('stg_fhir__patients') }}

),

feed as (

    select * from {{ ref('stg_omop_feed__persons') }}

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
        person.race_concept_id,
        person.ethnicity_concept_id,
        patients.address_city,
        patients.address_state,
        patients.address_postal_code,
        feed.person_id is not null as is_in_omop_feed,
        coalesce(
            feed.birth_date = patients.birth_date
            and feed.gender_concept_id = person.gender_concept_id
            and feed.race_concept_id = person.race_concept_id
            and feed.ethnicity_concept_id = person.ethnicity_concept_id,
            false
        ) as is_reconciled_with_feed,
        {{ lineage_columns() }}
    from person
    inner join patients
        on person.person_source_value = patients.patient_id
    left join feed
        on person.person_id = feed.person_id

)

select * from final
