select
    visits.visit_occurrence_id,
    visits.person_id
from dq.visit_occurrence as visits
left join omop.person as person
    on visits.person_id = person.person_id
where person.person_id is null
