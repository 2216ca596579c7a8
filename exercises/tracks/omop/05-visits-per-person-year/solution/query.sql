with person_time as (
    select
        sum(observation_period_end_date - observation_period_start_date) / 365.25
            as person_years
    from omop.observation_period
),

visits as (
    select
        visit_concept_id,
        count(*) as visits
    from omop.visit_occurrence
    group by visit_concept_id
)

select
    visits.visit_concept_id,
    visits.visits,
    visits.visits / person_time.person_years as visits_per_person_year
from visits
cross join person_time
