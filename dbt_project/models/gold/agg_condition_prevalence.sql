-- How common is each chronic condition, by age band, sex and state? One row per condition and
-- population cell: people in the cell, people ever diagnosed, and the prevalence. Ages are as of
-- the marts' as-of date; everyone with an OMOP person row counts in the denominator.
with

patients as (

    select * from {{ ref('dim_patient') }}

),

groups as (

    select distinct
        condition_group,
        condition_group_name
    from {{ ref('chronic_condition_concepts') }}

),

diagnosed as (

    select distinct
        person_id,
        condition_group
    from {{ ref('int_chronic_conditions_diagnosed') }}

),

cells as (

    select
        person_id,
        case
            when age_at_as_of_date >= 80 then '80+'
            else
                cast(age_at_as_of_date - age_at_as_of_date % 10 as varchar)
                || '-'
                || cast(age_at_as_of_date - age_at_as_of_date % 10 + 9 as varchar)
        end as age_band,
        coalesce(gender, 'unknown') as sex,
        coalesce(address_state, 'unknown') as state
    from patients

),

final as (

    select
        groups.condition_group,
        groups.condition_group_name,
        cells.age_band,
        cells.sex,
        cells.state,
        count(*) as persons,
        count(diagnosed.person_id) as persons_with_condition,
        cast(count(diagnosed.person_id) as double) / count(*) as prevalence,
        {{ lineage_columns() }}
    from cells
    cross join groups
    left join diagnosed
        on
            cells.person_id = diagnosed.person_id
            and groups.condition_group = diagnosed.condition_group
    group by
        groups.condition_group,
        groups.condition_group_name,
        cells.age_band,
        cells.sex,
        cells.state

)

select * from final
