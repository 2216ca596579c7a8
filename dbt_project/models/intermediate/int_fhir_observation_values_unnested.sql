-- One row per value an Observation reports: the Observation itself (component 0) and each of
-- its components (1..n), e.g. a blood-pressure panel and its systolic and diastolic parts.
with

observations as (

    select * from {{ ref('stg_fhir__observations') }}

),

components as (

    select
        observations.observation_id,
        cast(component_rows.component_position as integer) as component_index,
        component_rows.component_json
    from observations
    cross join
        unnest({{ json_array('observations.components_json', '$') }}) with ordinality
            as component_rows (component_json, component_position)

),

component_values as (

    select
        components.observation_id,
        components.component_index,
        {{ json_extract_json('components.component_json', '$.code.coding') }} as code_codings_json,
        {{ json_extract_json('components.component_json', '$.valueCodeableConcept.coding') }}
            as value_codings_json,
        coalesce(
            try_cast(
                {{ json_extract_string('components.component_json', '$.valueQuantity.value') }}
                as double
            ),
            try_cast(
                {{ json_extract_string('components.component_json', '$.valueInteger') }} as double
            )
        ) as value_number,
        {{ json_extract_string('components.component_json', '$.valueQuantity.unit') }}
            as value_unit,
        {{ json_extract_string('components.component_json', '$.valueQuantity.system') }}
            as value_unit_system,
        {{ json_extract_string('components.component_json', '$.valueQuantity.code') }}
            as value_unit_code,
        {{ json_extract_string('components.component_json', '$.valueQuantity.comparator') }}
            as value_comparator,
        coalesce(
            {{ json_extract_string('components.component_json', '$.valueString') }},
            {{ json_extract_string('components.component_json', '$.valueCodeableConcept.text') }},
            {{ json_extract_string(
                'components.component_json', '$.valueCodeableConcept.coding[0].display'
            ) }}
        ) as value_text,
        try_cast(
            {{ json_extract_string('components.component_json', '$.referenceRange[0].low.value') }}
            as double
        ) as range_low,
        try_cast(
            {{ json_extract_string('components.component_json', '$.referenceRange[0].high.value') }}
            as double
        ) as range_high
    from components

),

component_counts as (

    select
        observation_id,
        count(*) as component_count
    from components
    group by observation_id

),

own_values as (

    select
        observations.observation_id,
        0 as component_index,
        observations.code_codings_json,
        observations.value_codings_json,
        observations.value_number,
        observations.value_unit,
        observations.value_unit_system,
        observations.value_unit_code,
        observations.value_comparator,
        observations.value_text,
        observations.range_low,
        observations.range_high
    from observations

),

all_values as (

    select * from own_values
    union all
    select * from component_values

),

final as (

    select
        all_values.observation_id,
        all_values.component_index,
        observations.patient_id,
        observations.encounter_id,
        observations.status,
        observations.category_code,
        all_values.code_codings_json,
        all_values.value_codings_json,
        all_values.value_number,
        all_values.value_unit,
        all_values.value_unit_system,
        all_values.value_unit_code,
        all_values.value_comparator,
        all_values.value_text,
        all_values.range_low,
        all_values.range_high,
        observations.effective_date,
        observations.effective_at,
        observations.effective_date_time_json,
        observations.last_updated_date,
        observations.bronze_loaded_at,
        observations.source_file,
        observations.bronze_pipeline_run_id,
        coalesce(component_counts.component_count, 0) > 0 as has_components,
        (
            all_values.value_number is not null
            or all_values.value_codings_json is not null
            or all_values.value_text is not null
        ) as has_value
    from all_values
    inner join observations
        on all_values.observation_id = observations.observation_id
    left join component_counts
        on all_values.observation_id = component_counts.observation_id

)

select * from final
