-- Which living diabetics have had no HbA1c test in the last year? One row per person diagnosed
-- with type 2 diabetes on or before the as-of date and alive on it, with their last HbA1c and
-- whether it falls in the 365 days before the as-of date (ADA guidance: at least yearly).
with

diagnoses as (

    select * from {{ ref('int_chronic_conditions_diagnosed') }}
    where condition_group = 'diabetes' and diagnosis_date <= {{ as_of_date() }}

),

hba1c as (

    select * from {{ ref('measurement') }}
    -- LOINC 4548-4, Hemoglobin A1c/Hemoglobin.total in Blood
    where measurement_concept_id = 3004410 and measurement_date <= {{ as_of_date() }}

),

patients as (

    select * from {{ ref('dim_patient') }}

),

diabetics as (

    select
        person_id,
        min(diagnosis_date) as first_diabetes_date
    from diagnoses
    group by person_id

),

ranked_tests as (

    -- Two results on the same day (a repeat test) are ordered by time, then by id, so the last
    -- one is the same on every run and engine (max_by on the date alone picked either).
    select
        person_id,
        measurement_date,
        value_as_number,
        row_number() over (
            partition by person_id
            order by
                measurement_date desc, measurement_datetime desc nulls last, measurement_id desc
        ) as recency
    from hba1c

),

last_tests as (

    select
        person_id,
        measurement_date as last_hba1c_date,
        value_as_number as last_hba1c_percent
    from ranked_tests
    where recency = 1

),

final as (

    select
        diabetics.person_id,
        patients.patient_id,
        diabetics.first_diabetes_date,
        last_tests.last_hba1c_date,
        last_tests.last_hba1c_percent,
        {{ days_between('last_tests.last_hba1c_date', as_of_date()) }}
            as days_since_last_hba1c,
        coalesce(
            last_tests.last_hba1c_date
            > cast({{ dbt.dateadd('day', -365, as_of_date()) }} as date),
            false
        ) as has_hba1c_in_last_year,
        {{ lineage_columns() }}
    from diabetics
    inner join patients
        on diabetics.person_id = patients.person_id
    left join last_tests
        on diabetics.person_id = last_tests.person_id
    where patients.death_date is null or patients.death_date > {{ as_of_date() }}

)

select * from final
