select
    gender_concept_id,
    count(*) as persons
from omop.person
group by gender_concept_id
