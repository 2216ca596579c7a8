-- One row per coded element: the coding chosen to represent it and its OMOP concepts.
-- A coding whose (system, code) is a standard concept wins; then any known concept (kept as the
-- source concept); then the first coding. No standard concept means concept_id 0 (OMOP's
-- "No matching concept"), with the source code kept.
with

codings as (

    select * from {{ ref('int_fhir_codings_unnested') }}

),

code_systems as (

    select * from {{ ref('fhir_code_system_vocabulary') }}

),

concepts as (

    select * from {{ ref('concept') }}

),

looked_up as (

    select
        codings.*,
        concepts.concept_id as matched_concept_id,
        concepts.domain_id as matched_domain_id,
        coalesce(concepts.standard_concept = 'S' and concepts.invalid_reason is null, false)
            as is_standard,
        row_number() over (
            partition by
                codings.resource_type,
                codings.resource_id,
                codings.component_index,
                codings.coded_element
            order by
                case
                    when concepts.standard_concept = 'S' and concepts.invalid_reason is null then 0
                    when concepts.concept_id is not null then 1
                    else 2
                end,
                codings.coding_index
        ) as preference
    from codings
    left join code_systems
        on codings.code_system = code_systems.code_system
    left join concepts
        on
            code_systems.vocabulary_id = concepts.vocabulary_id
            and codings.code = concepts.concept_code

),

final as (

    select
        resource_type,
        resource_id,
        component_index,
        coded_element,
        code_system as source_code_system,
        code as source_code,
        code_display as source_code_display,
        case when is_standard then matched_concept_id else 0 end as concept_id,
        coalesce(matched_concept_id, 0) as source_concept_id,
        case when is_standard then matched_domain_id end as domain_id
    from looked_up
    where preference = 1

)

select * from final
