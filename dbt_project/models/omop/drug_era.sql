-- OMOP CDM v5.4 DRUG_ERA: spans of exposure to the same drug concept, exposures within 30 days
-- of each other merged. OHDSI rolls drugs up to their ingredient through CONCEPT_ANCESTOR, which
-- the shipped vocabulary subset does not contain: eras here are per drug concept as recorded
-- (an ingredient when the source recorded one). See docs/dbt.md.
with

exposures as (

    select
        person_id,
        drug_concept_id as concept_id,
        drug_exposure_start_date as start_date,
        greatest(drug_exposure_end_date, drug_exposure_start_date) as end_date
    from {{ ref('drug_exposure') }}
    where drug_concept_id != 0

),

eras as (

    {{ merge_into_eras('exposures', gap_days=30) }}

),

final as (

    select
        cast(
            row_number() over (order by person_id, concept_id, era_start_date) as integer
        ) as drug_era_id,
        person_id,
        concept_id as drug_concept_id,
        era_start_date as drug_era_start_date,
        era_end_date as drug_era_end_date,
        cast(occurrence_count as integer) as drug_exposure_count,
        cast(gap_days as integer) as gap_days
    from eras

)

select * from final
