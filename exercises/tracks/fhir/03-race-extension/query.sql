-- One row per patient: patient_id, race_code, race_display (the ombCategory valueCoding of the
-- us-core-race extension). The extension is not always at the same position.
select
    resource_id as patient_id,
    json_extract_string(resource_json, '$.extension[1].extension[0].valueCoding.code') as race_code,
    json_extract_string(resource_json, '$.extension[1].extension[0].valueCoding.display')
        as race_display
from bronze.fhir_patient
