{{ config(materialized='incremental', unique_key='measurement_id') }}

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
    where
        measurement_concept_id = 3004410
        {% if is_incremental() %}
            and measurement_date > (select max(measurement_date) from {{ this }})
        {% endif %}
)

select * from final
