-- Care sites: every Organization resource, and every organization an Encounter names as its
-- service provider even when the export has no Organization resource for it. References are
-- resolved first (int_fhir_encounter_references_resolved), so an organization referenced by
-- identifier and present as a resource is one care site, keyed by the resource id.
with

organizations as (

    select * from {{ ref('stg_fhir__organizations') }}

),

encounter_references as (

    select * from {{ ref('int_fhir_encounter_references_resolved') }}

),

referenced as (

    select
        service_provider_id as organization_id,
        max(service_provider_display) as organization_display
    from encounter_references
    where service_provider_id is not null
    group by service_provider_id

),

final as (

    select
        coalesce(organizations.organization_id, referenced.organization_id) as organization_id,
        coalesce(organizations.organization_name, referenced.organization_display)
            as care_site_name,
        organizations.type_code,
        organizations.address_city,
        organizations.address_state,
        organizations.address_postal_code
    from organizations
    full outer join referenced
        on organizations.organization_id = referenced.organization_id

)

select * from final
