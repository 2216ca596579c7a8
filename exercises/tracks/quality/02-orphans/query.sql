-- Visits of dq.visit_occurrence whose person_id is no person of omop.person:
-- visit_occurrence_id, person_id.
select
    visits.visit_occurrence_id,
    visits.person_id
from dq.visit_occurrence as visits
inner join omop.person as person
    on visits.person_id = person.person_id
