{#-
    Values of FHIR elements that staging could not use, one row each: the element was present
    but is the wrong JSON type (`"gender": ["male"]`), is no valid value of its type (a birthDate
    of 12345 or 1990-02-30, an effectiveDateTime of "yesterday"), or cannot be true (a death
    before birth). Staging gives null for such a value, never a wrong one, and the build goes
    on; this table says what was set aside, where it came from and what the CDM did instead.
    Also listed: resources whose latest version could not be told apart from another (same
    meta.lastUpdated, other content), with the version kept, and events with no date at all.
    Like bronze.quarantine, rows here mean data was kept in view, not lost.

    Each check: (resource type, staging model, id column, element, column holding the element as
    written, kind of value, what the CDM does without it).
-#}
{%- set checks = [
    ('Patient', 'stg_fhir__patients', 'patient_id', 'gender', 'gender_json', 'gender',
        'gender from the US Core sex extensions, else person.gender_concept_id 0'),
    ('Patient', 'stg_fhir__patients', 'patient_id', 'birthDate', 'birth_date_json', 'date',
        'person.year_of_birth imputed from the earliest record'),
    ('Patient', 'stg_fhir__patients', 'patient_id', 'deceasedDateTime', 'deceased_date_time_json',
        'date', 'no death date (the person is still deceased)'),
    ('Encounter', 'stg_fhir__encounters', 'encounter_id', 'period.start', 'period_start_json',
        'date', 'visit start imputed'),
    ('Encounter', 'stg_fhir__encounters', 'encounter_id', 'period.end', 'period_end_json',
        'date', 'visit end imputed'),
    ('Condition', 'stg_fhir__conditions', 'condition_id', 'onsetDateTime', 'onset_date_time_json',
        'date', 'start date from recordedDate, else the encounter'),
    ('Condition', 'stg_fhir__conditions', 'condition_id', 'recordedDate', 'recorded_date_json',
        'date', 'not used'),
    ('Condition', 'stg_fhir__conditions', 'condition_id', 'abatementDateTime',
        'abatement_date_time_json', 'date', 'no end date'),
    ('Observation', 'stg_fhir__observations', 'observation_id', 'effectiveDateTime',
        'effective_date_time_json', 'date', 'date from the encounter, else meta.lastUpdated'),
    ('Observation', 'stg_fhir__observations', 'observation_id', 'valueQuantity.value',
        'value_quantity_value_json', 'decimal', 'value_as_number is null'),
    ('MedicationRequest', 'stg_fhir__medication_requests', 'medication_request_id', 'authoredOn',
        'authored_on_json', 'date', 'start date from the encounter, else meta.lastUpdated'),
    ('Procedure', 'stg_fhir__procedures', 'procedure_id', 'performedDateTime',
        'performed_date_time_json', 'date', 'date from the encounter, else meta.lastUpdated'),
    ('Procedure', 'stg_fhir__procedures', 'procedure_id', 'performedPeriod.start',
        'performed_period_start_json', 'date', 'date from the encounter, else meta.lastUpdated'),
] -%}
{%- set reasons = {
    'date': "not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD, with a time or not), or no such day",
    'gender': "not a FHIR AdministrativeGender code (male, female, other, unknown)",
    'decimal': "not a number",
} -%}
with

checked as (

    {% for resource_type, model, id_column, element, column, kind, consequence in checks %}
        select
            '{{ resource_type }}' as resource_type,
            {{ id_column }} as resource_id,
            '{{ resource_type }}.{{ element }}' as element,
            {{ column }} as value_json,
            {{ json_kind(column) }} as value_kind,
            {{ json_extract_string(column, '$') }} as value_text,
            '{{ kind }}' as expected,
            '{{ consequence }}' as consequence,
            source_file,
            bronze_pipeline_run_id
        from {{ ref(model) }}
        where {{ column }} is not null and {{ column }} <> 'null'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

invalid_values as (

    select
        resource_type,
        resource_id,
        element,
        substr(value_json, 1, 200) as value_json,
        case
            when expected = 'decimal' and value_kind not in ('number', 'string')
                then 'a JSON ' || value_kind || ', not a number'
            when expected <> 'decimal' and value_kind <> 'string'
                then 'a JSON ' || value_kind || ', not a string'
            {% for kind, reason in reasons.items() %}
                when expected = '{{ kind }}' then '{{ reason }}'
            {% endfor %}
        end as reason,
        consequence,
        source_file,
        bronze_pipeline_run_id
    from checked
    where
        not coalesce(
            case expected
                when 'date'
                    then
                        value_kind = 'string'
                        and {{ is_fhir_date('value_text') }}
                        and (length(value_text) < 10 or {{ fhir_date('value_text') }} is not null)
                when 'gender'
                    then
                        value_kind = 'string'
                        and {{ fhir_administrative_gender('value_text') }} is not null
                when 'decimal' then
                    value_kind in ('number', 'string')
                    and try_cast(value_text as double) is not null
            end,
            false
        )

),

-- Values of the right type that cannot be true.
impossible_values as (

    select
        'Patient' as resource_type,
        patient_id as resource_id,
        'Patient.deceasedDateTime' as element,
        deceased_date_time_json as value_json,
        'before the birthDate (' || birth_date_source_value || ')' as reason,
        'no death row (the person is still deceased)' as consequence,
        source_file,
        bronze_pipeline_run_id
    from {{ ref('stg_fhir__patients') }}
    where is_death_before_birth

),

-- Events with no date at all (none of their own, no encounter's, no meta.lastUpdated): OMOP
-- requires one, so they are dated on their load day; listed so nobody takes it for a clinical
-- date.
undated_events as (

    select distinct
        resource_type,
        resource_id,
        resource_type || '.date' as element,
        cast(null as varchar) as value_json,
        'no date: none of its own, no encounter''s, no meta.lastUpdated' as reason,
        'dated on the day it was loaded (imputed)' as consequence,
        source_file,
        bronze_pipeline_run_id
    from {{ ref('int_fhir_clinical_events_routed') }}
    where start_date_source = 'load'

),

conflicting_versions as (

    {% for staged in fhir_staged_types() %}
        select
            '{{ staged.type }}' as resource_type,
            {{ staged.id }} as resource_id,
            '{{ staged.type }}.meta.lastUpdated' as element,
            cast(last_updated_at as varchar) as value_json,
            'another version with the same meta.lastUpdated has other content' as reason,
            'kept the version loaded last (then: last file, last line)' as consequence,
            source_file,
            bronze_pipeline_run_id
        from {{ ref(staged.model) }}
        where has_conflicting_versions
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from (
        select * from invalid_values
        union all
        select * from impossible_values
        union all
        select * from undated_events
        union all
        select * from conflicting_versions
    ) as set_aside

)

select * from final
