-- OMOP CDM v5.4 PROVIDER: practitioners (FHIR Practitioner, or an Encounter's participant).
with

providers as (

    select * from {{ ref('int_providers_resolved') }}

),

genders as (

    select * from {{ ref('demographic_concept_map') }}
    where target_domain_id = 'Gender'

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

final as (

    select
        id_map.omop_id as provider_id,
        substr(providers.provider_name, 1, 255) as provider_name,
        substr(providers.npi, 1, 20) as npi,
        cast(null as varchar) as dea,
        cast(null as integer) as specialty_concept_id,
        cast(null as integer) as care_site_id,
        cast(null as integer) as year_of_birth,
        genders.target_concept_id as gender_concept_id,
        substr(providers.practitioner_id, 1, 50) as provider_source_value,
        cast(null as varchar) as specialty_source_value,
        cast(null as integer) as specialty_source_concept_id,
        providers.gender as gender_source_value,
        cast(null as integer) as gender_source_concept_id
    from providers
    inner join id_map
        on
            id_map.omop_table = 'provider'
            and 'Practitioner/' || providers.practitioner_id = id_map.source_key
    left join genders
        on providers.gender = genders.source_code

)

select * from final
