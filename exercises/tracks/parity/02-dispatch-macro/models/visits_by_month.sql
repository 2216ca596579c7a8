with visits as (
    select * from {{ source('omop', 'visit_occurrence') }}
),

final as (
    select
        {{ year_month('visit_start_date') }} as visit_month,
        count(*) as visits
    from visits
    group by 1
)

select * from final
