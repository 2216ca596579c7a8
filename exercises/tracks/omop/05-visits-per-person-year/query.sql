-- One row per visit type: visit_concept_id, visits, visits_per_person_year.
select
    visit_concept_id,
    count(*) as visits,
    count(*) / count(distinct person_id) as visits_per_person_year
from omop.visit_occurrence
group by visit_concept_id
