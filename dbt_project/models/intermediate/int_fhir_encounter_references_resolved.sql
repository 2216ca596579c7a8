-- Each Encounter's practitioner (participant[0].individual) and service provider
-- (serviceProvider) as int_fhir_references_resolved resolves them, one row per Encounter.
with

references_resolved as (

    select * from {{ ref('int_fhir_references_resolved') }}
    where resource_type = 'Encounter'

),

final as (

    select
        resource_id as encounter_id,
        max(case when referenced_type = 'Practitioner' then referenced_id end) as practitioner_id,
        max(case when referenced_type = 'Practitioner' then display end) as practitioner_display,
        max(case when referenced_type = 'Practitioner' then resolved_by end)
            as practitioner_resolved_by,
        max(case when referenced_type = 'Organization' then referenced_id end)
            as service_provider_id,
        max(case when referenced_type = 'Organization' then display end)
            as service_provider_display,
        max(case when referenced_type = 'Organization' then resolved_by end)
            as service_provider_resolved_by
    from references_resolved
    group by resource_id

)

select * from final
