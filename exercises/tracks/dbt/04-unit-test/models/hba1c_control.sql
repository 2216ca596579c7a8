with source as (
    select * from {{ source('omop', 'measurement') }}
),

final as (
    select
        measurement_id,
        person_id,
        value_as_number,
        case
            when value_as_number < 7 then 'controlled'
            when value_as_number <= 8 then 'elevated'
            else 'uncontrolled'
        end as control
    from source
    where measurement_concept_id = 3004410
)

select * from final
