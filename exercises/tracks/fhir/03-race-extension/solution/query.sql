with extensions as (
    select
        resource_id as patient_id,
        unnest(cast(json_extract(resource_json, '$.extension') as json [])) as extension
    from bronze.fhir_patient
),

race as (
    select
        patient_id,
        unnest(cast(json_extract(extension, '$.extension') as json [])) as part
    from extensions
    where
        json_extract_string(extension, '$.url')
        = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race'
)

select
    patient_id,
    json_extract_string(part, '$.valueCoding.code') as race_code,
    json_extract_string(part, '$.valueCoding.display') as race_display
from race
where json_extract_string(part, '$.url') = 'ombCategory'
