-- OMOP CDM v5.4 LOCATION: one row per distinct address of a patient or an organization.
with

locations as (

    select * from {{ ref('int_locations_deduplicated') }}

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

final as (

    select
        id_map.omop_id as location_id,
        cast(null as varchar) as address_1,
        cast(null as varchar) as address_2,
        substr(locations.city, 1, 50) as city,
        substr(upper(locations.state), 1, 2) as state,
        substr(locations.postal_code, 1, 9) as zip,
        cast(null as varchar) as county,
        substr(locations.location_key, 1, 50) as location_source_value,
        cast(null as integer) as country_concept_id,
        cast(null as varchar) as country_source_value,
        cast(null as double) as latitude,
        cast(null as double) as longitude
    from locations
    inner join id_map
        on
            id_map.omop_table = 'location'
            and locations.location_key = id_map.source_key

)

select * from final
