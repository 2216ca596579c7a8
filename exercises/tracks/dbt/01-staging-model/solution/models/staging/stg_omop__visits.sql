with source as (
    select * from {{ source('omop', 'visit_occurrence') }}
),

renamed as (
    select
        visit_occurrence_id as visit_id,
        person_id,
        visit_concept_id,
        visit_start_date,
        visit_end_date
    from source
),

final as (
    select * from renamed
)

select * from final
