-- One row per gender_concept_id with the number of people: gender_concept_id, persons.
select gender_concept_id
from omop.person
