select distinct diagnosed.person_id
from omop.condition_occurrence as diagnosed
inner join omop.measurement as hba1c
    on diagnosed.person_id = hba1c.person_id
where
    diagnosed.condition_concept_id = 201826
    and hba1c.measurement_concept_id = 3004410
    and hba1c.value_as_number > 8
    and hba1c.measurement_date >= date '2024-01-01'
    and hba1c.measurement_date < date '2025-01-01'
