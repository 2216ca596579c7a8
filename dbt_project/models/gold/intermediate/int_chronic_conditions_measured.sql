-- Every measurement (or survey score) that relates to a reported chronic condition, for the
-- people diagnosed with it: HbA1c for diabetics, blood pressure for hypertensives, ...
with

related as (

    select * from {{ ref('chronic_condition_measurements') }}

),

measurements as (

    select
        person_id,
        measurement_concept_id as concept_id,
        measurement_date as measured_date,
        value_as_number
    from {{ ref('measurement') }}

),

observations as (

    select
        person_id,
        observation_concept_id as concept_id,
        observation_date as measured_date,
        value_as_number
    from {{ ref('observation') }}

),

recorded as (

    select * from measurements
    union all
    select * from observations

),

final as (

    select
        recorded.person_id,
        related.condition_group,
        recorded.concept_id,
        recorded.measured_date,
        recorded.value_as_number
    from recorded
    inner join related
        on recorded.concept_id = related.measurement_concept_id

)

select * from final
