-- The OMOP person_id of every Patient that can be an OMOP person. OMOP requires a year of
-- birth, so a Patient without one is left out here, and with it everything that refers to it;
-- ops.fhir_omop_reconciliation counts such records instead of losing them silently.
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
    where try_cast(substr(patients.birth_date_source_value, 1, 4) as integer) is not null

)

select * from final
