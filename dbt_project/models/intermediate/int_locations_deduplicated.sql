-- Distinct addresses of patients and organizations: one OMOP location per location key. The
-- key is unique by construction: addresses that differ only in spelling (`BOSTON`, `Boston`)
-- share a key, and the location shows the spelling most addresses of that key use; on a tie, a
-- mixed-case spelling (`Boston`) before an all-capitals or all-lower-case one, then the last in
-- text order: the same on every run.
with

patients as (

    select * from {{ ref('stg_fhir__patients') }}

),

organizations as (

    select * from {{ ref('stg_fhir__organizations') }}

),

addresses as (

    select
        address_city as city,
        address_state as state,
        address_postal_code as postal_code
    from patients
    union all
    select
        address_city as city,
        address_state as state,
        address_postal_code as postal_code
    from organizations

),

spellings as (

    select
        {{ location_key('city', 'state', 'postal_code') }} as location_key,
        city,
        state,
        postal_code,
        count(*) as addresses
    from addresses
    where coalesce(city, state, postal_code) is not null
    group by city, state, postal_code

),

ranked as (

    select
        *,
        row_number() over (
            partition by location_key
            order by
                addresses desc,
                coalesce(city <> upper(city) and city <> lower(city), false) desc,
                city desc,
                state desc,
                postal_code desc
        ) as spelling_rank
    from spellings

),

final as (

    select
        location_key,
        city,
        state,
        postal_code
    from ranked
    where spelling_rank = 1

)

select * from final
