-- Visits and emergency visits per year, in DuckDB-only SQL: make it Athena SQL too.
select
    strftime(visit_start_date, '%Y')::integer as visit_year,
    count(*) as visits,
    count(*) filter (where visit_concept_id = 9203) as emergency_visits
from omop.visit_occurrence
group by all
