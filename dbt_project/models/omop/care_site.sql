-- OMOP CDM v5.4 CARE_SITE: organizations that provide care (FHIR Organization, or an
-- Encounter's serviceProvider).
with

care_sites as (

    select * from {{ ref('int_care_sites_resolved') }}

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

final as (

    select
        sites.omop_id as care_site_id,
        substr(care_sites.care_site_name, 1, 255) as care_site_name,
        cast(null as integer) as place_of_service_concept_id,
        locations.omop_id as location_id,
        substr(care_sites.organization_id, 1, 50) as care_site_source_value,
        substr(care_sites.type_code, 1, 50) as place_of_service_source_value
    from care_sites
    inner join id_map as sites
        on
            sites.omop_table = 'care_site'
            and 'Organization/' || care_sites.organization_id = sites.source_key
    left join id_map as locations
        on
            locations.omop_table = 'location'
            and {{ location_key(
                'care_sites.address_city',
                'care_sites.address_state',
                'care_sites.address_postal_code'
            ) }} = locations.source_key

)

select * from final
