with source as (
    select * from {{ source('omop', 'visit_occurrence') }}
)

select * from source
