-- OMOP CDM v5.4 DRUG_EXPOSURE: every clinical fact whose concept is in the Drug domain (FHIR
-- MedicationRequest), unmapped medications included (concept 0, source code or text kept).
with

events as (

    select * from {{ ref('int_omop_events_keyed') }}
    where target_table = 'drug_exposure' and person_id is not null

),

final as (

    select
        event_id as drug_exposure_id,
        person_id,
        concept_id as drug_concept_id,
        start_date as drug_exposure_start_date,
        start_at as drug_exposure_start_datetime,
        -- OMOP requires an end: the request's validity end, else start + days supply, else
        -- the start itself (THEMIS convention for unknown durations).
        coalesce(
            end_date,
            cast({{ dbt.dateadd('day', 'days_supply', 'start_date') }} as date),
            start_date
        ) as drug_exposure_end_date,
        cast(null as {{ timestamp_type() }}) as drug_exposure_end_datetime,
        end_date as verbatim_end_date,
        32817 as drug_type_concept_id,
        cast(null as varchar) as stop_reason,
        refills,
        quantity,
        days_supply,
        sig,
        cast(null as integer) as route_concept_id,
        cast(null as varchar) as lot_number,
        provider_id,
        visit_occurrence_id,
        cast(null as integer) as visit_detail_id,
        substr(source_value, 1, 50) as drug_source_value,
        source_concept_id as drug_source_concept_id,
        substr(route_source_value, 1, 50) as route_source_value,
        cast(null as varchar) as dose_unit_source_value
    from events

)

select * from final
