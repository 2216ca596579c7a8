-- Providers: every Practitioner resource, and every practitioner an Encounter (participant) or
-- an event (asserter, requester, performer) names even when the export has no Practitioner
-- resource for them. References are resolved first (int_fhir_references_resolved), so a
-- practitioner referenced by NPI and present as a resource is one provider, keyed by the
-- resource id.
with

practitioners as (

    select * from {{ ref('stg_fhir__practitioners') }}

),

practitioner_references as (

    select * from {{ ref('int_fhir_references_resolved') }}
    where referenced_type = 'Practitioner' and referenced_id is not null

),

referenced as (

    select
        referenced_id as practitioner_id,
        max(display) as practitioner_display
    from practitioner_references
    group by referenced_id

),

final as (

    select
        coalesce(practitioners.practitioner_id, referenced.practitioner_id) as practitioner_id,
        coalesce(practitioners.practitioner_name, referenced.practitioner_display)
            as provider_name,
        practitioners.npi,
        practitioners.gender
    from practitioners
    full outer join referenced
        on practitioners.practitioner_id = referenced.practitioner_id

)

select * from final
