with

source as (

    select * from {{ source('omop_feed', 'omop_person') }}

),

renamed as (

    select
        ---------- ids
        cast(person_id as integer) as person_id,
        cast(gender_concept_id as integer) as gender_concept_id,
        cast(race_concept_id as integer) as race_concept_id,
        cast(ethnicity_concept_id as integer) as ethnicity_concept_id,
        cast(location_id as integer) as location_id,
        cast(provider_id as integer) as provider_id,
        cast(care_site_id as integer) as care_site_id,

        ---------- strings
        person_source_value,
        gender_source_value,
        race_source_value,
        ethnicity_source_value,

        ---------- numerics
        cast(year_of_birth as integer) as year_of_birth,
        cast(month_of_birth as integer) as month_of_birth,
        cast(day_of_birth as integer) as day_of_birth,

        ---------- dates
        cast(birth_datetime as date) as birth_date,

        ---------- timestamps
        cast(birth_datetime as timestamp) as birth_at,

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
