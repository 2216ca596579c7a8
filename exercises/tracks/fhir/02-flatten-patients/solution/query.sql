select
    json_extract_string(resource_json, '$.id') as patient_id,
    json_extract_string(resource_json, '$.gender') as gender,
    cast(json_extract_string(resource_json, '$.birthDate') as date) as birth_date,
    json_extract_string(resource_json, '$.name[0].family') as family_name,
    json_extract_string(resource_json, '$.address[0].city') as city,
    json_extract_string(resource_json, '$.address[0].state') as state
from bronze.fhir_patient
