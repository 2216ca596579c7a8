-- The OMOP person_id of every FHIR Patient: one person per Patient.
with

patients as (

    select * from {{ ref('stg_fhir__patients') }}

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

final as (

    select
        patients.patient_id,
        id_map.omop_id as person_id
    from patients
    inner join id_map
        on
            id_map.omop_table = 'person'
            and 'Patient/' || patients.patient_id = id_map.source_key

)

select * from final
