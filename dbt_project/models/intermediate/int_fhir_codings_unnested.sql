-- Every coding of every coded element that decides an OMOP concept: one row per coding.
-- An element is (resource, component, element): component 0 is the resource itself, 1.. are
-- Observation.component entries; the element is `code` or `value` (valueCodeableConcept).
with

conditions as (

    select * from {{ ref('stg_fhir__conditions') }}

),

observation_values as (

    select * from {{ ref('int_fhir_observation_values_unnested') }}

),

medication_requests as (

    select * from {{ ref('int_fhir_medication_requests_resolved') }}

),

procedures as (

    select * from {{ ref('stg_fhir__procedures') }}

),

coded_elements as (

    select
        'Condition' as resource_type,
        condition_id as resource_id,
        0 as component_index,
        'code' as coded_element,
        code_codings_json as codings_json
    from conditions
    union all
    select
        'Observation' as resource_type,
        observation_id as resource_id,
        component_index,
        'code' as coded_element,
        code_codings_json as codings_json
    from observation_values
    union all
    select
        'Observation' as resource_type,
        observation_id as resource_id,
        component_index,
        'value' as coded_element,
        value_codings_json as codings_json
    from observation_values
    union all
    select
        'MedicationRequest' as resource_type,
        medication_request_id as resource_id,
        0 as component_index,
        'code' as coded_element,
        code_codings_json as codings_json
    from medication_requests
    union all
    select
        'Procedure' as resource_type,
        procedure_id as resource_id,
        0 as component_index,
        'code' as coded_element,
        code_codings_json as codings_json
    from procedures

),

final as (

    select
        coded_elements.resource_type,
        coded_elements.resource_id,
        coded_elements.component_index,
        coded_elements.coded_element,
        cast(coding_rows.coding_position as integer) as coding_index,
        {{ json_extract_string('coding_rows.coding_json', '$.system') }} as code_system,
        {{ json_extract_string('coding_rows.coding_json', '$.code') }} as code,
        {{ json_extract_string('coding_rows.coding_json', '$.display') }} as code_display
    from coded_elements
    cross join
        unnest({{ json_array('coded_elements.codings_json', '$') }}) with ordinality
            as coding_rows (coding_json, coding_position)
    where coded_elements.codings_json is not null

)

select * from final
