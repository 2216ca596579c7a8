-- How is each chronic condition of each patient being followed? One row per person and chronic
-- condition: first and last diagnosis, how many encounters recorded it, and how many of the
-- measurements that matter for that condition (HbA1c for diabetes, blood pressure for
-- hypertension, eGFR for CKD, ...) were taken, in all and since the diagnosis.
with

diagnoses as (

    select * from {{ ref('int_chronic_conditions_diagnosed') }}

),

measurements as (

    select * from {{ ref('int_chronic_conditions_measured') }}

),

per_condition as (

    select
        person_id,
        condition_group,
        condition_group_name,
        min(diagnosis_date) as first_diagnosis_date,
        max(diagnosis_date) as last_diagnosis_date,
        count(*) as diagnosis_count,
        count(distinct visit_occurrence_id) as encounter_count
    from diagnoses
    group by person_id, condition_group, condition_group_name

),

followed_up as (

    select
        per_condition.person_id,
        per_condition.condition_group,
        count(measurements.measured_date) as related_measurement_count,
        cast(
            sum(
                case
                    when measurements.measured_date >= per_condition.first_diagnosis_date then 1
                    else 0
                end
            ) as bigint
        ) as related_measurements_since_diagnosis,
        max(measurements.measured_date) as last_related_measurement_date
    from per_condition
    left join measurements
        on
            per_condition.person_id = measurements.person_id
            and per_condition.condition_group = measurements.condition_group
    group by per_condition.person_id, per_condition.condition_group

),

final as (

    select
        per_condition.person_id,
        per_condition.condition_group,
        per_condition.condition_group_name,
        per_condition.first_diagnosis_date,
        per_condition.last_diagnosis_date,
        per_condition.diagnosis_count,
        per_condition.encounter_count,
        followed_up.related_measurement_count,
        coalesce(followed_up.related_measurements_since_diagnosis, 0)
            as related_measurements_since_diagnosis,
        followed_up.last_related_measurement_date,
        {{ lineage_columns() }}
    from per_condition
    inner join followed_up
        on
            per_condition.person_id = followed_up.person_id
            and per_condition.condition_group = followed_up.condition_group

)

select * from final
