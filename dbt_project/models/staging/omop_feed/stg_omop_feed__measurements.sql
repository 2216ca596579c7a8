with

source as (

    select * from {{ source('omop_feed', 'omop_measurement') }}

),

renamed as (

    select
        cast(measurement_id as integer) as measurement_id,
        cast(person_id as integer) as person_id,
        cast(measurement_concept_id as integer) as measurement_concept_id,
        cast(measurement_date as date) as measurement_date,
        cast(measurement_datetime as {{ timestamp_type() }}) as measurement_datetime,
        measurement_time,
        cast(measurement_type_concept_id as integer) as measurement_type_concept_id,
        cast(operator_concept_id as integer) as operator_concept_id,
        cast(value_as_number as double) as value_as_number,
        cast(value_as_concept_id as integer) as value_as_concept_id,
        cast(unit_concept_id as integer) as unit_concept_id,
        cast(range_low as double) as range_low,
        cast(range_high as double) as range_high,
        cast(provider_id as integer) as provider_id,
        cast(visit_occurrence_id as integer) as visit_occurrence_id,
        cast(visit_detail_id as integer) as visit_detail_id,
        measurement_source_value,
        cast(measurement_source_concept_id as integer) as measurement_source_concept_id,
        unit_source_value,
        cast(unit_source_concept_id as integer) as unit_source_concept_id,
        value_source_value,
        cast(measurement_event_id as integer) as measurement_event_id,
        cast(meas_event_field_concept_id as integer) as meas_event_field_concept_id,

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
