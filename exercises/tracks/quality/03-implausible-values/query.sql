-- Measurements of dq.measurement outside dq.plausible_range:
-- measurement_id, measurement_concept_id, value_as_number.
select
    measurement.measurement_id,
    measurement.measurement_concept_id,
    measurement.value_as_number
from dq.measurement as measurement
inner join dq.plausible_range as plausible
    on measurement.measurement_concept_id = plausible.measurement_concept_id
where measurement.value_as_number > plausible.high * 10
