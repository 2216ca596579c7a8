-- The analyst's copy of the patients, masked as contracts/policies.yml masks gold.dim_patient.
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
    select
        -- Direct identifiers: a salted hash keeps them joinable, never readable.
        sha256($salt || cast(person_id as varchar)) as person_id,
        sha256($salt || patient_id) as patient_id,
        -- PHI with no mask of its own: redacted, the column kept with its type.
        cast(null as varchar) as given_name,
        cast(null as varchar) as family_name,
        gender,
        -- Safe Harbor: of a date, the year; of an address, the state and three zip digits.
        cast(extract(year from birth_date) as integer) as birth_date,
        cast(null as varchar) as address_city,
        address_state,
        substring(address_postal_code, 1, 3) as address_postal_code
    from patients
)

select * from final
