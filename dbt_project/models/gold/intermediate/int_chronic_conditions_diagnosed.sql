-- Every recorded diagnosis of a reported chronic condition. Obesity's concepts live in the
-- Observation domain, so diagnoses come from condition_occurrence and observation alike.
with

groups as (

    select * from {{ ref('chronic_condition_concepts') }}

),

conditions as (

    select
        person_id,
        condition_concept_id as concept_id,
        condition_start_date as diagnosis_date,
        visit_occurrence_id
    from {{ ref('condition_occurrence') }}

),

observations as (

    select
        person_id,
        observation_concept_id as concept_id,
        observation_date as diagnosis_date,
        visit_occurrence_id
    from {{ ref('observation') }}

),

recorded as (

    select * from conditions
    union all
    select * from observations

),

final as (

    select
        recorded.person_id,
        groups.condition_group,
        groups.condition_group_name,
        recorded.concept_id,
        recorded.diagnosis_date,
        recorded.visit_occurrence_id
    from recorded
    inner join groups
        on recorded.concept_id = groups.condition_concept_id

)

select * from final
