with

source as (

    select * from {{ source('fhir', 'fhir_patient') }}

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

renamed as (

    select
        ---------- ids
        latest.resource_id as patient_id,
        try_cast(person_ids.omop_person_id_text as integer) as omop_person_id,

        ---------- strings
        {{ json_extract_string('latest.resource_json', '$.name[0].family') }} as family_name,
        {{ json_extract_string('latest.resource_json', '$.name[0].given[0]') }} as given_name,
        {{ json_extract_string('latest.resource_json', '$.name[0].text') }} as name_text,
        lower({{ json_extract_string('latest.resource_json', '$.gender') }}) as gender,
        race_ethnicity.race_code,
        race_ethnicity.race_display,
        race_ethnicity.ethnicity_code,
        race_ethnicity.ethnicity_display,
        {{ json_extract_string('latest.resource_json', '$.address[0].city') }} as address_city,
        {{ json_extract_string('latest.resource_json', '$.address[0].state') }} as address_state,
        {{ json_extract_string('latest.resource_json', '$.address[0].postalCode') }}
            as address_postal_code,

        {{ json_extract_string('latest.resource_json', '$.birthDate') }} as birth_date_source_value,
        {{ json_extract_string('latest.resource_json', '$.deceasedDateTime') }}
            as deceased_source_value,

        ---------- booleans
        coalesce(
            {{ json_extract_string('latest.resource_json', '$.deceasedDateTime') }} is not null
            or lower({{ json_extract_string('latest.resource_json', '$.deceasedBoolean') }})
            = 'true',
            false
        ) as is_deceased,

        ---------- dates
        -- FHIR allows partial dates (YYYY, YYYY-MM): those give a null date here and keep their
        -- text in the *_source_value column.
        {{ fhir_date(json_extract_string('latest.resource_json', '$.birthDate')) }} as birth_date,
        {{ fhir_date(json_extract_string('latest.resource_json', '$.deceasedDateTime')) }}
            as death_date,

        ---------- timestamps
        {{ fhir_datetime(json_extract_string('latest.resource_json', '$.deceasedDateTime')) }}
            as deceased_at,

        ---------- lineage
        {{ fhir_bronze_lineage('latest') }}

    from latest
    left join person_ids
        on latest.resource_id = person_ids.resource_id
    left join race_ethnicity
        on latest.resource_id = race_ethnicity.resource_id

),

final as (

    select
        *,
        {{ lineage_columns() }}
    from renamed

)

select * from final
