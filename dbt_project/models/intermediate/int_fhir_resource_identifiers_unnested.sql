-- Every identifier of every Practitioner and Organization: one row per identifier. A reference
-- that names its target by identifier (Synthea's "Practitioner?identifier=system|value", or a
-- logical Reference.identifier) is resolved against these rows.
with

practitioners as (

    select * from {{ ref('stg_fhir__practitioners') }}

),

organizations as (

    select * from {{ ref('stg_fhir__organizations') }}

),

identified_resources as (

    select
        'Practitioner' as resource_type,
        practitioner_id as resource_id,
        identifiers_json
    from practitioners
    union all
    select
        'Organization' as resource_type,
        organization_id as resource_id,
        identifiers_json
    from organizations

),

final as (

    select
        identified_resources.resource_type,
        identified_resources.resource_id,
        cast(identifier_rows.identifier_position as integer) as identifier_index,
        {{ json_extract_string('identifier_rows.identifier_json', '$.system') }}
            as identifier_system,
        {{ json_extract_string('identifier_rows.identifier_json', '$.value') }}
            as identifier_value
    from identified_resources
    cross join
        unnest({{ json_array('identified_resources.identifiers_json', '$') }}) with ordinality
            as identifier_rows (identifier_json, identifier_position)
    where identified_resources.identifiers_json is not null

)

select * from final
