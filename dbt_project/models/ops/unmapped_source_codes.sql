-- Which source codes have no standard OMOP concept? One row per code and the table its rows
-- went to (with concept_id 0, the code kept as *_source_value): the worklist for extending the
-- terminology seeds. Rows are never dropped for an unmapped code.
with

events as (

    select * from {{ ref('int_fhir_clinical_events_routed') }}
    where concept_id = 0

),

visits as (

    select * from {{ ref('stg_fhir__encounters') }}

),

visit_classes as (

    select * from {{ ref('visit_class_concept_map') }}

),

unmapped_events as (

    select
        resource_type,
        target_table,
        source_code_system,
        source_value,
        max(source_code_display) as source_code_display,
        count(*) as row_count
    from events
    group by resource_type, target_table, source_code_system, source_value

),

unmapped_visits as (

    select
        'Encounter' as resource_type,
        'visit_occurrence' as target_table,
        visits.class_system as source_code_system,
        visits.class_code as source_value,
        max(visits.class_display) as source_code_display,
        count(*) as row_count
    from visits
    left join visit_classes
        on visits.class_code = visit_classes.class_code
    where visit_classes.visit_concept_id is null
    group by visits.class_system, visits.class_code

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from (
        select * from unmapped_events
        union all
        select * from unmapped_visits
    ) as unmapped

)

select * from final
