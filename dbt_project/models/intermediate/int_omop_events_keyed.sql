-- Clinical events with their OMOP ids: the event's own id in its target table, its person, its
-- visit and its provider. The visit is one of int_visits_resolved (what omop.visit_occurrence
-- holds) for the same person: an encounter the export lacks leaves visit_occurrence_id null.
-- The provider is the practitioner the resource names for itself (Condition.asserter/recorder,
-- MedicationRequest.requester, Procedure.performer[0].actor, Observation.performer[0]), resolved
-- like the visit's practitioner, else the visit's provider, else null (the OHDSI convention).
-- Events whose patient is not in the data cannot enter the CDM (person_id is required);
-- ops.fhir_omop_reconciliation counts them.
with

events as (

    select * from {{ ref('int_fhir_clinical_events_routed') }}

),

person_ids as (

    select * from {{ ref('int_person_ids_assigned') }}

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

visits as (

    select * from {{ ref('int_visits_resolved') }}

),

practitioner_references as (

    select * from {{ ref('int_fhir_references_resolved') }}
    where referenced_type = 'Practitioner'

),

final as (

    select
        event_ids.omop_id as event_id,
        person_ids.person_id,
        visits.visit_occurrence_id,
        coalesce(own_providers.omop_id, visits.provider_id) as provider_id,
        events.*
    from events
    inner join id_map as event_ids
        on
            events.target_table = event_ids.omop_table
            and events.event_key = event_ids.source_key
    left join person_ids
        on events.patient_id = person_ids.patient_id
    left join id_map as visit_ids
        on
            visit_ids.omop_table = 'visit_occurrence'
            and 'Encounter/' || events.encounter_id = visit_ids.source_key
    left join visits
        on
            visit_ids.omop_id = visits.visit_occurrence_id
            and person_ids.person_id = visits.person_id
    left join practitioner_references
        on
            events.resource_type = practitioner_references.resource_type
            and events.resource_id = practitioner_references.resource_id
    left join id_map as own_providers
        on
            own_providers.omop_table = 'provider'
            and 'Practitioner/' || practitioner_references.referenced_id = own_providers.source_key

)

select * from final
