with conditions as (
    select * from {{ source('omop', 'condition_occurrence') }}
),

visits as (
    select * from {{ source('omop', 'visit_occurrence') }}
),

final as (
    select
        conditions.condition_occurrence_id,
        conditions.person_id,
        conditions.condition_concept_id,
        conditions.condition_start_date,
        visits.visit_concept_id,
        visits.visit_start_date
    from conditions
    left join visits
        on conditions.visit_occurrence_id = visits.visit_occurrence_id
)

select * from final
