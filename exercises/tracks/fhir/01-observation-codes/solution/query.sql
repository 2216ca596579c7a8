select
    json_extract_string(resource_json, '$.code.coding[0].code') as loinc_code,
    json_extract_string(resource_json, '$.code.coding[0].display') as display,
    count(*) as observations
from bronze.fhir_observation
where json_extract_string(resource_json, '$.code.coding[0].system') = 'http://loinc.org'
group by all
