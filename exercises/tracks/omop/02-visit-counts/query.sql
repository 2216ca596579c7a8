-- One row per visit type: visit_concept_id, persons (distinct people), visits.
select
    visit_concept_id,
    count(*) as persons,
    count(*) as visits
from omop.visit_occurrence
group by visit_concept_id
