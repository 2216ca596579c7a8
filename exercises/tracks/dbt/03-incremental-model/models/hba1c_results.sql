{{ config(materialized='table') }}

with source as (
    select * from {{ source('omop', 'measurement') }}
),

final as (
    select
        measurement_id,
        person_id,
        measurement_date,
        value_as_number as hba1c_percent
    from source
    where measurement_concept_id = 3004410
)

select * from final
