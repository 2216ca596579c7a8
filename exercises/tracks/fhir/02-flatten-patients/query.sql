-- One row per Patient: patient_id, gender, birth_date (a date), family_name, city, state.
select
    resource_id as patient_id,
    json_extract_string(resource_json, '$.gender') as gender,
    json_extract_string(resource_json, '$.birthDate') as birth_date
from bronze.fhir_patient
