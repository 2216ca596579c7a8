-- People with type 2 diabetes and an HbA1c over 8 in 2024: one row per person_id.
select distinct person_id
from omop.condition_occurrence
where condition_concept_id = 201826
