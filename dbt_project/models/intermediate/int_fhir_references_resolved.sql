-- Every practitioner and organization reference the OMOP tables use, resolved once to the key
-- int_providers_resolved, int_care_sites_resolved and the id map use: an Encounter's practitioner
-- (participant[0].individual) and service provider (serviceProvider), and the practitioner an
-- event names for itself (Condition.asserter/recorder, MedicationRequest.requester,
-- Procedure.performer[0].actor, Observation.performer[0]). Each resolves to
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

conditions as (

    select * from {{ ref('stg_fhir__conditions') }}

),

medication_requests as (

    select * from {{ ref('stg_fhir__medication_requests') }}

),

procedures as (

    select * from {{ ref('stg_fhir__procedures') }}

),

observations as (

    select * from {{ ref('stg_fhir__observations') }}

),

identifiers as (

    select * from {{ ref('int_fhir_resource_identifiers_unnested') }}

),

named_references as (

    select
        'Encounter' as resource_type,
        encounter_id as resource_id,
        'Practitioner' as referenced_type,
        practitioner_id as referenced_id,
        practitioner_identifier_system as identifier_system,
        practitioner_identifier_value as identifier_value,
        practitioner_display as display
    from encounters
    union all
    select
        'Encounter' as resource_type,
        encounter_id as resource_id,
        'Organization' as referenced_type,
        service_provider_id as referenced_id,
        service_provider_identifier_system as identifier_system,
        service_provider_identifier_value as identifier_value,
        service_provider_display as display
    from encounters
    union all
    select
        'Condition' as resource_type,
        condition_id as resource_id,
        'Practitioner' as referenced_type,
        practitioner_id as referenced_id,
        practitioner_identifier_system as identifier_system,
        practitioner_identifier_value as identifier_value,
        practitioner_display as display
    from conditions
    union all
    select
        'MedicationRequest' as resource_type,
        medication_request_id as resource_id,
        'Practitioner' as referenced_type,
        practitioner_id as referenced_id,
        practitioner_identifier_system as identifier_system,
        practitioner_identifier_value as identifier_value,
        practitioner_display as display
    from medication_requests
    union all
    select
        'Procedure' as resource_type,
        procedure_id as resource_id,
        'Practitioner' as referenced_type,
        practitioner_id as referenced_id,
        practitioner_identifier_system as identifier_system,
        practitioner_identifier_value as identifier_value,
        practitioner_display as display
    from procedures
    union all
    select
        'Observation' as resource_type,
        observation_id as resource_id,
        'Practitioner' as referenced_type,
        practitioner_id as referenced_id,
        practitioner_identifier_system as identifier_system,
        practitioner_identifier_value as identifier_value,
        practitioner_display as display
    from observations

),

identifier_matches as (

    select
        named_references.resource_type,
        named_references.resource_id,
        named_references.referenced_type,
        min(identifiers.resource_id) as matched_resource_id
    from named_references
    inner join identifiers
        on
            named_references.referenced_type = identifiers.resource_type
            and named_references.identifier_value = identifiers.identifier_value
            and (
                named_references.identifier_system is null
                or named_references.identifier_system = identifiers.identifier_system
            )
    where named_references.referenced_id is null
    group by
        named_references.resource_type,
        named_references.resource_id,
        named_references.referenced_type

),

final as (

    select
        named_references.resource_type,
        named_references.resource_id,
        named_references.referenced_type,
        coalesce(
            named_references.referenced_id,
            identifier_matches.matched_resource_id,
            named_references.identifier_value
        ) as referenced_id,
        named_references.display,
        case
            when named_references.referenced_id is not null then 'id'
            when identifier_matches.matched_resource_id is not null then 'identifier_match'
            when named_references.identifier_value is not null then 'identifier_only'
        end as resolved_by
    from named_references
    left join identifier_matches
        on
            named_references.resource_type = identifier_matches.resource_type
            and named_references.resource_id = identifier_matches.resource_id
            and named_references.referenced_type = identifier_matches.referenced_type

)

select * from final
