-- OMOP CDM v5.4 CONDITION_ERA: spans of the same condition concept, occurrences within 30 days
-- of each other merged (the OHDSI standard persistence window). Unmapped conditions (concept 0)
-- form no eras.
with

conditions as (

    select
        person_id,
        condition_concept_id as concept_id,
        condition_start_date as start_date,
        -- An occurrence with no end lasts one day (OHDSI era convention).
        coalesce(
            condition_end_date,
            cast({{ dbt.dateadd('day', 1, 'condition_start_date') }} as date)
        ) as end_date
    from {{ ref('condition_occurrence') }}
    where condition_concept_id != 0

),

eras as (

    {{ merge_into_eras('conditions', gap_days=30) }}

),

final as (

    select
        cast(
            row_number() over (order by person_id, concept_id, era_start_date) as integer
        ) as condition_era_id,
        person_id,
        concept_id as condition_concept_id,
        era_start_date as condition_era_start_date,
        era_end_date as condition_era_end_date,
        cast(occurrence_count as integer) as condition_occurrence_count
    from eras

)

select * from final
