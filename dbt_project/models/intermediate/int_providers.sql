-- Providers: every Practitioner resource, and every practitioner an Encounter names as a
-- participant even when the export has no Practitioner resource for them. References are
-- resolved first (int_fhir_encounter_references_resolved), so a practitioner referenced by NPI
-- and present as a resource is one provider, keyed by the resource id.
with

practitioners as (

    select * from {{ ref('stg_fhir__practitioners') }}

),

encounter_references as (

    select * from {{ ref('int_fhir_encounter_references_resolved') }}

),

referenced as (

    select
        practitioner_id,
        max(practitioner_display) as practitioner_display
    from encounter_references
    where practitioner_id is not null
    group by practitioner_id

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
