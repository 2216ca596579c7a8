-- Is every FHIR resource accounted for in the OMOP CDM? One row per resource type: resources in
-- silver, resources found in an OMOP table (traced back through the id map), resources that
-- could not enter the CDM because the patient they refer to is not in the data, the rows per
-- OMOP table, rows with an unmapped code and rows with an imputed date. is_reconciled holds when
-- every resource is either in the CDM or counted with that reason.
with

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

events as (

    select * from {{ ref('int_omop_events_keyed') }}

),

placed_rows as (

    {% for table, id_column in [
        ('person', 'person_id'),
        ('visit_occurrence', 'visit_occurrence_id'),
        ('condition_occurrence', 'condition_occurrence_id'),
        ('drug_exposure', 'drug_exposure_id'),
        ('procedure_occurrence', 'procedure_occurrence_id'),
        ('device_exposure', 'device_exposure_id'),
        ('measurement', 'measurement_id'),
        ('observation', 'observation_id'),
    ] %}
        select
            '{{ table }}' as omop_table,
            {{ id_column }} as omop_id
        from {{ ref(table) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

placed as (

    select
        substr(id_map.source_key, 1, strpos(id_map.source_key, '/') - 1) as resource_type,
        {{ source_key_resource_id('id_map.source_key') }} as resource_id,
        placed_rows.omop_table,
        events.concept_id,
        events.is_start_date_imputed
    from placed_rows
    inner join id_map
        on
            placed_rows.omop_table = id_map.omop_table
            and placed_rows.omop_id = id_map.omop_id
    left join events
        on
            placed_rows.omop_table = events.target_table
            and id_map.source_key = events.event_key

),

resources_in as (

    {% for staged in fhir_staged_types(clinical_only=true) %}
        select
            '{{ staged.type }}' as resource_type,
            {{ staged.id }} as resource_id,
            patient_id
        from {{ ref(staged.model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

person_ids as (

    select * from {{ ref('int_person_ids_assigned') }}

),

-- Persons and visits whose required date had to be imputed (no birthDate, no period).
imputed_anchors as (

    select
        'Patient' as resource_type,
        count(*) as imputed_rows
    from {{ ref('stg_fhir__patients') }}
    where birth_year is null
    union all
    select
        'Encounter' as resource_type,
        count(*) as imputed_rows
    from {{ ref('stg_fhir__encounters') }}
    where period_start_date is null

),

accounted as (

    select
        resources_in.resource_type,
        resources_in.resource_id,
        max(case when placed.resource_id is not null then 1 else 0 end) as is_placed,
        max(case when resources_in.patient_id is null then 1 else 0 end) as has_no_patient,
        max(case when person_ids.person_id is null then 1 else 0 end) as has_no_person
    from resources_in
    left join placed
        on
            resources_in.resource_type = placed.resource_type
            and resources_in.resource_id = placed.resource_id
    left join person_ids
        on resources_in.patient_id = person_ids.patient_id
    group by resources_in.resource_type, resources_in.resource_id

),

per_type as (

    select
        resource_type,
        count(*) as resources_in_silver,
        cast(sum(is_placed) as bigint) as resources_in_omop,
        cast(sum(case when is_placed = 0 and has_no_patient = 1 then 1 else 0 end) as bigint)
            as resources_without_patient,
        cast(
            sum(
                case
                    when is_placed = 0 and has_no_patient = 0 and has_no_person = 1 then 1
                    else 0
                end
            ) as bigint
        ) as resources_with_unknown_patient,
        cast(sum(case when is_placed = 0 and has_no_person = 0 then 1 else 0 end) as bigint)
            as resources_lost
    from accounted
    group by resource_type

),

rows_out as (

    select
        resource_type,
        {% for table in [
            'person', 'visit_occurrence', 'condition_occurrence', 'drug_exposure',
            'procedure_occurrence', 'device_exposure', 'measurement', 'observation',
        ] %}
            cast(sum(case when omop_table = '{{ table }}' then 1 else 0 end) as bigint)
                as {{ table }}_rows,
        {% endfor %}
        cast(sum(case when concept_id = 0 then 1 else 0 end) as bigint) as rows_with_unmapped_code,
        cast(sum(case when is_start_date_imputed then 1 else 0 end) as bigint)
            as rows_with_imputed_date
    from placed
    group by resource_type

),

final as (

    select
        per_type.resource_type,
        per_type.resources_in_silver,
        per_type.resources_in_omop,
        per_type.resources_without_patient,
        per_type.resources_with_unknown_patient,
        per_type.resources_lost,
        {% for table in [
            'person', 'visit_occurrence', 'condition_occurrence', 'drug_exposure',
            'procedure_occurrence', 'device_exposure', 'measurement', 'observation',
        ] %}
            coalesce(rows_out.{{ table }}_rows, 0) as {{ table }}_rows,
        {% endfor %}
        coalesce(rows_out.rows_with_unmapped_code, 0) as rows_with_unmapped_code,
        coalesce(rows_out.rows_with_imputed_date, 0)
        + coalesce(imputed_anchors.imputed_rows, 0) as rows_with_imputed_date,
        per_type.resources_lost = 0 as is_reconciled,
        {{ lineage_columns() }}
    from per_type
    left join rows_out
        on per_type.resource_type = rows_out.resource_type
    left join imputed_anchors
        on per_type.resource_type = imputed_anchors.resource_type

)

select * from final
