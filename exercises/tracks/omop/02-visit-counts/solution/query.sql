select
    visit_concept_id,
    count(distinct person_id) as persons,
    count(*) as visits
from omop.visit_occurrence
group by visit_concept_id
