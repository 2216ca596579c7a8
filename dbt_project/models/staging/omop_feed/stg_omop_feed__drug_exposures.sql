with

source as (

    select * from {{ source('omop_feed', 'omop_drug_exposure') }}

),

renamed as (

    select
        cast(drug_exposure_id as integer) as drug_exposure_id,
        cast(person_id as integer) as person_id,
        cast(drug_concept_id as integer) as drug_concept_id,
        cast(drug_exposure_start_date as date) as drug_exposure_start_date,
        cast(drug_exposure_start_datetime as {{ timestamp_type() }})
            as drug_exposure_start_datetime,
        cast(drug_exposure_end_date as date) as drug_exposure_end_date,
        cast(drug_exposure_end_datetime as {{ timestamp_type() }}) as drug_exposure_end_datetime,
        cast(verbatim_end_date as date) as verbatim_end_date,
        cast(drug_type_concept_id as integer) as drug_type_concept_id,
        stop_reason,
        cast(refills as integer) as refills,
        cast(quantity as double) as quantity,
        cast(days_supply as integer) as days_supply,
        sig,
        cast(route_concept_id as integer) as route_concept_id,
        lot_number,
        cast(provider_id as integer) as provider_id,
        cast(visit_occurrence_id as integer) as visit_occurrence_id,
        cast(visit_detail_id as integer) as visit_detail_id,
        drug_source_value,
        cast(drug_source_concept_id as integer) as drug_source_concept_id,
        route_source_value,
        dose_unit_source_value,

        ---------- lineage
        {{ bronze_lineage() }}

    from source

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from renamed

)

select * from final
