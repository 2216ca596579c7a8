with

source as (

    select * from {{ source('omop_feed', 'omop_procedure_occurrence') }}

),

renamed as (

    select
        cast(procedure_occurrence_id as integer) as procedure_occurrence_id,
        cast(person_id as integer) as person_id,
        cast(procedure_concept_id as integer) as procedure_concept_id,
        cast(procedure_date as date) as procedure_date,
        cast(procedure_datetime as {{ timestamp_type() }}) as procedure_datetime,
        cast(procedure_end_date as date) as procedure_end_date,
        cast(procedure_end_datetime as {{ timestamp_type() }}) as procedure_end_datetime,
        cast(procedure_type_concept_id as integer) as procedure_type_concept_id,
        cast(modifier_concept_id as integer) as modifier_concept_id,
        cast(quantity as integer) as quantity,
        cast(provider_id as integer) as provider_id,
        cast(visit_occurrence_id as integer) as visit_occurrence_id,
        cast(visit_detail_id as integer) as visit_detail_id,
        procedure_source_value,
        cast(procedure_source_concept_id as integer) as procedure_source_concept_id,
        modifier_source_value,

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
