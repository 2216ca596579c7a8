-- People with type 2 diabetes and no creatinine test in 2024:
-- person_id, last_creatinine_date (null if they never had one).
select
    condition.person_id,
    max(measurement.measurement_date) as last_creatinine_date
from omop.condition_occurrence as condition
inner join omop.measurement as measurement
    on condition.person_id = measurement.person_id
where
    condition.condition_concept_id = 201826
    and measurement.measurement_concept_id = 3016723
group by condition.person_id
having max(measurement.measurement_date) < date '2024-01-01'
