with diabetic as (
    select distinct person_id
    from omop.condition_occurrence
    where condition_concept_id = 201826
),

last_test as (
    select
        diabetic.person_id,
        max(creatinine.measurement_date) as last_creatinine_date
    from diabetic
    left join omop.measurement as creatinine
        on
            diabetic.person_id = creatinine.person_id
            and creatinine.measurement_concept_id = 3016723
    group by diabetic.person_id
)

select
    person_id,
    last_creatinine_date
from last_test
where last_creatinine_date is null or last_creatinine_date < date '2024-01-01'
