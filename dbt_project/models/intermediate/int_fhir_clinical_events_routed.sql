-- Every clinical fact in the FHIR data, one row each, routed to the OMOP table its concept's
-- domain names. A code with no standard concept keeps concept 0 and goes to its resource's usual
-- table (Condition -> condition_occurrence, MedicationRequest -> drug_exposure, Procedure ->
-- procedure_occurrence, Observation -> measurement for labs, vitals and quantities, otherwise
-- observation). Nothing is dropped: a fact with no date of its own takes its encounter's start,
-- then the resource's meta.lastUpdated, then its load date, and is flagged as imputed.
with

conditions as (

    select * from {{ ref('stg_fhir__conditions') }}

),

observation_values as (

    select * from {{ ref('int_fhir_observation_values_unnested') }}

),

medication_requests as (

    select * from {{ ref('int_fhir_medication_requests_resolved') }}

),

procedures as (

    select * from {{ ref('stg_fhir__procedures') }}

),

encounters as (

    select * from {{ ref('stg_fhir__encounters') }}

),

mapped as (

    select * from {{ ref('int_fhir_codes_mapped') }}

),

concepts as (

    select * from {{ ref('concept') }}

),

condition_facts as (

    select
        {{ clinical_fact_columns({
            'resource_type': "'Condition'",
            'resource_id': 'condition_id',
            'component_index': '0',
            'patient_id': 'patient_id',
            'encounter_id': 'encounter_id',
            'usual_table': "'condition_occurrence'",
            'own_start_date': 'coalesce(onset_date, recorded_date)',
            'own_start_at': 'onset_at',
            'partial_start_date': fhir_date_floor(json_extract_string('onset_date_time_json', '$')),
            'end_date': 'abatement_date',
            'end_at': 'abatement_at',
            'code_text': 'code_text',
            'status_source_value': 'clinical_status',
            'last_updated_date': 'last_updated_date',
            'bronze_loaded_at': 'bronze_loaded_at',
            'source_file': 'source_file',
            'bronze_pipeline_run_id': 'bronze_pipeline_run_id',
        }) }}
    from conditions

),

observation_facts as (

    select
        {{ clinical_fact_columns({
            'resource_type': "'Observation'",
            'resource_id': 'observation_id',
            'component_index': 'component_index',
            'patient_id': 'patient_id',
            'encounter_id': 'encounter_id',
            'usual_table': "case
                when
                    category_code in ('laboratory', 'vital-signs')
                    or value_unit is not null
                    or value_unit_code is not null
                    then 'measurement'
                else 'observation'
            end",
            'own_start_date': 'effective_date',
            'own_start_at': 'effective_at',
            'partial_start_date': fhir_date_floor(json_extract_string('effective_date_time_json', '$')),
            'value_as_number': 'value_number',
            'value_as_string': 'value_text',
            'unit_source_value': 'coalesce(value_unit, value_unit_code)',
            'unit_code': "case
                when value_unit_system is null or value_unit_system = 'http://unitsofmeasure.org'
                    then value_unit_code
            end",
            'range_low': 'range_low',
            'range_high': 'range_high',
            'status_source_value': 'status',
            'last_updated_date': 'last_updated_date',
            'bronze_loaded_at': 'bronze_loaded_at',
            'source_file': 'source_file',
            'bronze_pipeline_run_id': 'bronze_pipeline_run_id',
        }) }}
    from observation_values
    -- A panel whose components carry the values (blood pressure) is represented by them.
    where component_index > 0 or not has_components or has_value

),

medication_facts as (

    select
        {{ clinical_fact_columns({
            'resource_type': "'MedicationRequest'",
            'resource_id': 'medication_request_id',
            'component_index': '0',
            'patient_id': 'patient_id',
            'encounter_id': 'encounter_id',
            'usual_table': "'drug_exposure'",
            'own_start_date': 'authored_date',
            'own_start_at': 'authored_at',
            'partial_start_date': fhir_date_floor(json_extract_string('authored_on_json', '$')),
            'end_date': 'validity_end_date',
            'code_text': 'code_text',
            'quantity': 'dispense_quantity',
            'days_supply': 'cast(expected_supply_days as integer)',
            'refills': 'refills',
            'sig': 'sig',
            'route_source_value': 'route_code',
            'status_source_value': 'status',
            'last_updated_date': 'last_updated_date',
            'bronze_loaded_at': 'bronze_loaded_at',
            'source_file': 'source_file',
            'bronze_pipeline_run_id': 'bronze_pipeline_run_id',
        }) }}
    from medication_requests

),

procedure_facts as (

    select
        {{ clinical_fact_columns({
            'resource_type': "'Procedure'",
            'resource_id': 'procedure_id',
            'component_index': '0',
            'patient_id': 'patient_id',
            'encounter_id': 'encounter_id',
            'usual_table': "'procedure_occurrence'",
            'own_start_date': 'performed_start_date',
            'own_start_at': 'performed_start_at',
            'partial_start_date': 'coalesce('
                ~ fhir_date_floor(json_extract_string('performed_date_time_json', '$')) ~ ', '
                ~ fhir_date_floor(json_extract_string('performed_period_start_json', '$')) ~ ')',
            'end_date': 'performed_end_date',
            'end_at': 'performed_end_at',
            'code_text': 'code_text',
            'status_source_value': 'status',
            'last_updated_date': 'last_updated_date',
            'bronze_loaded_at': 'bronze_loaded_at',
            'source_file': 'source_file',
            'bronze_pipeline_run_id': 'bronze_pipeline_run_id',
        }) }}
    from procedures

),

facts as (

    select * from condition_facts
    union all
    select * from observation_facts
    union all
    select * from medication_facts
    union all
    select * from procedure_facts

),

final as (

    select
        facts.resource_type
        || '/'
        || facts.resource_id
        || '#'
        || cast(facts.component_index as varchar) as event_key,
        facts.resource_type,
        facts.resource_id,
        facts.component_index,
        facts.patient_id,
        facts.encounter_id,
        facts.usual_table,
        case code.domain_id
            when 'Condition' then 'condition_occurrence'
            when 'Drug' then 'drug_exposure'
            when 'Procedure' then 'procedure_occurrence'
            when 'Measurement' then 'measurement'
            when 'Observation' then 'observation'
            when 'Device' then 'device_exposure'
            else facts.usual_table
        end as target_table,
        coalesce(code.concept_id, 0) as concept_id,
        coalesce(code.source_concept_id, 0) as source_concept_id,
        coalesce(code.source_code, facts.code_text) as source_value,
        code.source_code_system,
        code.source_code_display,
        -- The event's own date, else its visit's, else the first day its partial date can mean
        -- (`2007-02`), else meta.lastUpdated, else the load: every one but the first is imputed.
        coalesce(
            facts.own_start_date,
            encounters.period_start_date,
            facts.partial_start_date,
            facts.last_updated_date,
            cast(facts.bronze_loaded_at as date)
        ) as start_date,
        coalesce(
            facts.own_start_at,
            encounters.period_start_at,
            cast(
                coalesce(
                    facts.partial_start_date,
                    facts.last_updated_date,
                    cast(facts.bronze_loaded_at as date)
                )
                as {{ timestamp_type() }}
            )
        ) as start_at,
        facts.own_start_date is null as is_start_date_imputed,
        case
            when facts.own_start_date is not null then 'own'
            when encounters.period_start_date is not null then 'encounter'
            when facts.partial_start_date is not null then 'partial date'
            when facts.last_updated_date is not null then 'meta.lastUpdated'
            else 'load'
        end as start_date_source,
        facts.end_date,
        facts.end_at,
        facts.value_as_number,
        facts.value_as_string,
        case when value_code.source_code is not null then coalesce(value_code.concept_id, 0) end
            as value_as_concept_id,
        facts.unit_source_value,
        case when facts.unit_source_value is not null then coalesce(units.concept_id, 0) end
            as unit_concept_id,
        facts.range_low,
        facts.range_high,
        facts.quantity,
        facts.days_supply,
        facts.refills,
        facts.sig,
        facts.route_source_value,
        facts.status_source_value,
        facts.bronze_loaded_at,
        facts.source_file,
        facts.bronze_pipeline_run_id
    from facts
    left join mapped as code
        on
            facts.resource_type = code.resource_type
            and facts.resource_id = code.resource_id
            and facts.component_index = code.component_index
            and code.coded_element = 'code'
    left join mapped as value_code
        on
            facts.resource_type = value_code.resource_type
            and facts.resource_id = value_code.resource_id
            and facts.component_index = value_code.component_index
            and value_code.coded_element = 'value'
    left join concepts as units
        on
            units.vocabulary_id = 'UCUM'
            and facts.unit_code = units.concept_code
            and units.standard_concept = 'S'
    left join encounters
        on facts.encounter_id = encounters.encounter_id

)

select * from final
