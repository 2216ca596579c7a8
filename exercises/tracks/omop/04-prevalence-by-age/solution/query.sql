with diabetic as (
    select distinct person_id
    from omop.condition_occurrence
    where condition_concept_id = 201826
),

banded as (
    select
        person.person_id,
        (2025 - person.year_of_birth) // 10 * 10 as age_band,
        diabetic.person_id is not null as has_t2d
    from omop.person as person
    left join diabetic
        on person.person_id = diabetic.person_id
)

select
    age_band,
    count(*) as persons,
    count(*) filter (where has_t2d) as with_t2d,
    count(*) filter (where has_t2d) / count(*) as prevalence
from banded
group by age_band
