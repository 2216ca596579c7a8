select
    cast(year(visit_start_date) as integer) as visit_year,
    count(*) as visits,
    count(*) filter (where visit_concept_id = 9203) as emergency_visits
from omop.visit_occurrence
group by 1
