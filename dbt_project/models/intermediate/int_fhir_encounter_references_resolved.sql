-- Each Encounter's practitioner (participant[0].individual) and service provider
-- (serviceProvider), resolved once to the key int_providers, int_care_sites and the id map use:
-- 1. the id the reference names (literal, absolute, urn:uuid, contained);
-- 2. else the id of the Practitioner/Organization whose identifier matches the one the
--    reference names (conditional "Type?identifier=system|value", as Synthea writes, or logical
--    Reference.identifier): any of the resource's identifiers, by value alone when the
--    reference gives no system, the smallest id when several resources match;
-- 3. else, no such resource in the data, the identifier value itself: one provider or care site
--    per distinct identifier (our generator's care sites).
with

encounters as (

    select * from {{ ref('stg_fhir__encounters') }}

),

identifiers as (

    select * from {{ ref('int_fhir_resource_identifiers') }}

),

encounter_references as (

    select
        encounter_id,
        'Practitioner' as referenced_type,
        practitioner_id as referenced_id,
        practitioner_identifier_system as identifier_system,
        practitioner_identifier_value as identifier_value,
        practitioner_display as display
    from encounters
    union all
    select
        encounter_id,
        'Organization' as referenced_type,
        service_provider_id as referenced_id,
        service_provider_identifier_system as identifier_system,
        service_provider_identifier_value as identifier_value,
        service_provider_display as display
    from encounters

),

identifier_matches as (

    select
        encounter_references.encounter_id,
        encounter_references.referenced_type,
        min(identifiers.resource_id) as matched_resource_id
    from encounter_references
    inner join identifiers
        on
            encounter_references.referenced_type = identifiers.resource_type
            and encounter_references.identifier_value = identifiers.identifier_value
            and (
                encounter_references.identifier_system is null
                or encounter_references.identifier_system = identifiers.identifier_system
            )
    where encounter_references.referenced_id is null
    group by encounter_references.encounter_id, encounter_references.referenced_type

),

resolved as (

    select
        encounter_references.encounter_id,
        encounter_references.referenced_type,
        encounter_references.display,
        coalesce(
            encounter_references.referenced_id,
            identifier_matches.matched_resource_id,
            encounter_references.identifier_value
        ) as resolved_id,
        case
            when encounter_references.referenced_id is not null then 'id'
            when identifier_matches.matched_resource_id is not null then 'identifier_match'
            when encounter_references.identifier_value is not null then 'identifier_only'
        end as resolved_by
    from encounter_references
    left join identifier_matches
        on
            encounter_references.encounter_id = identifier_matches.encounter_id
            and encounter_references.referenced_type = identifier_matches.referenced_type

),

final as (

    select
        encounter_id,
        max(case when referenced_type = 'Practitioner' then resolved_id end) as practitioner_id,
        max(case when referenced_type = 'Practitioner' then display end) as practitioner_display,
        max(case when referenced_type = 'Practitioner' then resolved_by end)
            as practitioner_resolved_by,
        max(case when referenced_type = 'Organization' then resolved_id end)
            as service_provider_id,
        max(case when referenced_type = 'Organization' then display end)
            as service_provider_display,
        max(case when referenced_type = 'Organization' then resolved_by end)
            as service_provider_resolved_by
    from resolved
    group by encounter_id

)

select * from final
