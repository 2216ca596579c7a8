-- The analyst's copy of the patients: the columns of `patients`, masked as the analyst's
-- policy masks them (person_id, patient_id, given_name, family_name, gender, birth_date,
-- address_city, address_state, address_postal_code). The salt is the parameter $salt.
with

patients as (
    select
        cast(json_extract_string(resource_json, '$.identifier[0].value') as integer) as person_id,
        resource_id as patient_id,
        json_extract_string(resource_json, '$.name[0].given[0]') as given_name,
        json_extract_string(resource_json, '$.name[0].family') as family_name,
        json_extract_string(resource_json, '$.gender') as gender,
        cast(json_extract_string(resource_json, '$.birthDate') as date) as birth_date,
        json_extract_string(resource_json, '$.address[0].city') as address_city,
        json_extract_string(resource_json, '$.address[0].state') as address_state,
        json_extract_string(resource_json, '$.address[0].postalCode') as address_postal_code
    from bronze.fhir_patient
),

final as (
    -- A first attempt: the names are gone. Is that all the analyst may not see?
    select
        person_id,
        patient_id,
        cast(null as varchar) as given_name,
        cast(null as varchar) as family_name,
        gender,
        birth_date,
        address_city,
        address_state,
        address_postal_code
    from patients
)

select * from final
