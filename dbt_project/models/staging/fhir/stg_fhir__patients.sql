{{
    config(
        materialized='incremental',
        unique_key='patient_id',
        incremental_strategy='merge',
        on_schema_change='fail',
        post_hook="{{ fhir_remove_vanished_resources(source('fhir', 'fhir_patient')) }}",
    )
}}

with

source as (

    {{ fhir_versions_to_stage(source('fhir', 'fhir_patient'), 'patient_id') }}

),

latest as (

    {{ fhir_latest_versions('source') }}

),

identifiers as (

    select
        latest.resource_id,
        {{ json_extract_string('identifier_json', '$.system') }} as identifier_system,
        {{ json_extract_string('identifier_json', '$.value') }} as identifier_value
    from latest
    cross join unnest({{ json_array('latest.resource_json', '$.identifier') }})
        as identifier_rows (identifier_json)

),

person_ids as (

    select
        resource_id,
        max(identifier_value) as omop_person_id_text
    from identifiers
    where identifier_system = '{{ var("person_id_identifier_system") }}'
    group by resource_id

),

-- US Core race and ethnicity extensions: the OMB category coding inside each.
omb_categories as (

    select
        latest.resource_id,
        {{ json_extract_string('extension_json', '$.url') }} as extension_url,
        {{ json_extract_string('category_json', '$.valueCoding.code') }} as category_code,
        {{ json_extract_string('category_json', '$.valueCoding.display') }} as category_display
    from latest
    cross join
        unnest({{ json_array('latest.resource_json', '$.extension') }})
            as extension_rows (extension_json)
    cross join
        unnest({{ json_array('extension_json', '$.extension') }})
            as category_rows (category_json)
    where {{ json_extract_string('category_json', '$.url') }} = 'ombCategory'

),

race_ethnicity as (

    select
        resource_id,
        min(
            case
                when extension_url like '%/us-core-race' then category_code
            end
        ) as race_code,
        min(
            case
                when extension_url like '%/us-core-race' then category_display
            end
        ) as race_display,
        min(
            case
                when extension_url like '%/us-core-ethnicity' then category_code
            end
        ) as ethnicity_code,
        min(
            case
                when extension_url like '%/us-core-ethnicity' then category_display
            end
        ) as ethnicity_display
    from omb_categories
    group by resource_id

),

-- US Core sex extensions, for Patients that carry no usable `gender` (US Core 9 examples
-- give only us-core-individual-sex; many give us-core-birthsex beside gender).
sex_extensions as (

    select
        latest.resource_id,
        min(
            case
                when
                    {{ json_extract_string('extension_json', '$.url') }}
                    like '%/us-core-individual-sex'
                    then
                        case {{ json_extract_string('extension_json', '$.valueCoding.code') }}
                            when '248152002' then 'female'
                            when '248153007' then 'male'
                        end
            end
        ) as individual_sex,
        min(
            case
                when {{ json_extract_string('extension_json', '$.url') }} like '%/us-core-birthsex'
                    then
                        case upper({{ json_extract_string('extension_json', '$.valueCode') }})
                            when 'F' then 'female'
                            when 'M' then 'male'
                        end
            end
        ) as birth_sex
    from latest
    cross join
        unnest({{ json_array('latest.resource_json', '$.extension') }})
            as extension_rows (extension_json)
    group by latest.resource_id

),

typed as (

    select
        latest.*,
        {{ fhir_date(json_extract_string('latest.resource_json', '$.birthDate')) }} as birth_date,
        {{ fhir_date_part(json_extract_string('latest.resource_json', '$.birthDate'), 'year') }}
            as birth_year,
        {{ fhir_date(json_extract_string('latest.resource_json', '$.deceasedDateTime')) }}
            as deceased_date
    from latest

),

-- A death before birth is impossible: no death date is taken from it (ops.fhir_set_aside).
checked as (

    select
        *,
        coalesce(
            deceased_date < birth_date or extract(year from deceased_date) < birth_year,
            false
        ) as is_death_before_birth
    from typed

),

renamed as (

    select
        ---------- ids
        latest.resource_id as patient_id,
        try_cast(person_ids.omop_person_id_text as integer) as omop_person_id,

        ---------- strings
        {{ json_extract_string('latest.resource_json', '$.name[0].family') }} as family_name,
        {{ json_extract_string('latest.resource_json', '$.name[0].given[0]') }} as given_name,
        {{ json_extract_string('latest.resource_json', '$.name[0].text') }} as name_text,
        -- FHIR administrative gender, else the US Core sex extensions; a gender that is no
        -- AdministrativeGender code (or a JSON array, a number) is listed in ops.fhir_set_aside.
        coalesce(
            {{ fhir_administrative_gender(
                json_extract_string('latest.resource_json', '$.gender')
            ) }},
            sex_extensions.individual_sex,
            sex_extensions.birth_sex
        ) as gender,
        race_ethnicity.race_code,
        race_ethnicity.race_display,
        race_ethnicity.ethnicity_code,
        race_ethnicity.ethnicity_display,
        {{ fhir_address_columns('latest.resource_json', '$.address[0]') }},

        {{ json_extract_string('latest.resource_json', '$.birthDate') }} as birth_date_source_value,
        {{ json_extract_string('latest.resource_json', '$.deceasedDateTime') }}
            as deceased_source_value,

        ---------- numerics
        -- The year and month of a birthDate, partial ("1990", "1990-05") or full; null when it
        -- is no FHIR date (a number such as 12345 is not year 1234).
        latest.birth_year,
        {{ fhir_date_part(json_extract_string('latest.resource_json', '$.birthDate'), 'month') }}
            as birth_month,

        ---------- booleans
        coalesce(
            {{ json_extract_string('latest.resource_json', '$.deceasedDateTime') }} is not null
            or lower({{ json_extract_string('latest.resource_json', '$.deceasedBoolean') }})
            = 'true',
            false
        ) as is_deceased,
        latest.is_death_before_birth,

        ---------- dates
        -- FHIR allows partial dates (YYYY, YYYY-MM): those give a null date here and keep their
        -- text in the *_source_value column.
        latest.birth_date,
        case
            when not latest.is_death_before_birth then latest.deceased_date
        end as death_date,

        ---------- timestamps
        case
            when not latest.is_death_before_birth
                then {{ fhir_datetime(
                    json_extract_string('latest.resource_json', '$.deceasedDateTime')
                ) }}
        end as deceased_at,

        ---------- checked elements as written (JSON text), for ops.fhir_set_aside
        {{ json_extract_json('latest.resource_json', '$.gender') }} as gender_json,
        {{ json_extract_json('latest.resource_json', '$.birthDate') }} as birth_date_json,
        {{ json_extract_json('latest.resource_json', '$.deceasedDateTime') }}
            as deceased_date_time_json,

        ---------- lineage
        {{ fhir_bronze_lineage('latest') }}

    from checked as latest
    left join person_ids
        on latest.resource_id = person_ids.resource_id
    left join race_ethnicity
        on latest.resource_id = race_ethnicity.resource_id
    left join sex_extensions
        on latest.resource_id = sex_extensions.resource_id

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from renamed

)

select * from final
