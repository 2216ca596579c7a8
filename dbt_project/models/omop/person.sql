-- OMOP CDM v5.4 PERSON, built from FHIR Patient: one row per patient.
-- OMOP requires a year of birth. A Patient without a birthDate is still a person (dropping it
-- would drop its whole record): its year of birth is the year of its earliest recorded event,
-- else of its meta.lastUpdated, else of its load, so no event precedes birth.
-- ops.fhir_omop_reconciliation counts these imputed years (rows_with_imputed_date, Patient).
with

patients as (

    select * from {{ ref('stg_fhir__patients') }}

),

events as (

    select * from {{ ref('int_fhir_clinical_events_routed') }}

),

encounters as (

    select * from {{ ref('stg_fhir__encounters') }}

),

earliest_records as (

    select
        patient_id,
        min(record_date) as earliest_record_date
    from (
        select
            patient_id,
            start_date as record_date
        from events
        union all
        select
            patient_id,
            period_start_date as record_date
        from encounters
    ) as records
    group by patient_id

),

concepts as (

    select * from {{ ref('demographic_concept_map') }}

),

person_ids as (

    select * from {{ ref('int_person_ids_assigned') }}

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

final as (

    select
        person_ids.person_id,
        coalesce(gender.target_concept_id, 0) as gender_concept_id,
        -- Partial FHIR birth dates (YYYY, YYYY-MM) still give the year and month.
        cast(
            coalesce(
                patients.birth_year,
                extract(
                    year from coalesce(
                        earliest_records.earliest_record_date,
                        patients.last_updated_date,
                        cast(patients.bronze_loaded_at as date)
                    )
                )
            ) as integer
        ) as year_of_birth,
        patients.birth_month as month_of_birth,
        cast(extract(day from patients.birth_date) as integer) as day_of_birth,
        cast(patients.birth_date as {{ timestamp_type() }}) as birth_datetime,
        coalesce(race.target_concept_id, 0) as race_concept_id,
        coalesce(ethnicity.target_concept_id, 0) as ethnicity_concept_id,
        locations.omop_id as location_id,
        cast(null as integer) as provider_id,
        cast(null as integer) as care_site_id,
        substr(patients.patient_id, 1, 50) as person_source_value,
        patients.gender as gender_source_value,
        0 as gender_source_concept_id,
        patients.race_code as race_source_value,
        0 as race_source_concept_id,
        patients.ethnicity_code as ethnicity_source_value,
        0 as ethnicity_source_concept_id
    from patients
    inner join person_ids
        on patients.patient_id = person_ids.patient_id
    left join earliest_records
        on patients.patient_id = earliest_records.patient_id
    left join id_map as locations
        on
            locations.omop_table = 'location'
            and {{ location_key(
                'patients.address_city', 'patients.address_state', 'patients.address_postal_code'
            ) }} = locations.source_key
    left join concepts as gender
        on
            gender.source_system = 'http://hl7.org/fhir/administrative-gender'
            and patients.gender = gender.source_code
    left join concepts as race
        on
            race.source_system = 'urn:oid:2.16.840.1.113883.6.238'
            and race.target_domain_id = 'Race'
            and patients.race_code = race.source_code
    left join concepts as ethnicity
        on
            ethnicity.source_system = 'urn:oid:2.16.840.1.113883.6.238'
            and ethnicity.target_domain_id = 'Ethnicity'
            and patients.ethnicity_code = ethnicity.source_code

)

select * from final
