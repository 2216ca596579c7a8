-- Distinct addresses of patients and organizations: one OMOP location each.
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
    union
    select
        address_city as city,
        address_state as state,
        address_postal_code as postal_code
    from organizations

),

final as (

    select
        {{ location_key('city', 'state', 'postal_code') }} as location_key,
        city,
        state,
        postal_code
    from addresses
    where coalesce(city, state, postal_code) is not null

)

select * from final
