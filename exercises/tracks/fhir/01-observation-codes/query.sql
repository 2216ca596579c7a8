-- Observations per LOINC code: loinc_code, display, observations.
select
    json_extract_string(resource_json, '$.code.text') as loinc_code,
    json_extract_string(resource_json, '$.code.text') as display,
    count(*) as observations
from bronze.fhir_observation
group by all
