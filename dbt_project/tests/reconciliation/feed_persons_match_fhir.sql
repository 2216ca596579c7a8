-- Every person of the OMOP feed is a person of the OMOP built from FHIR, with the same birth
-- date, gender, race and ethnicity. (Persons only in FHIR, such as ingested real data, are fine.)
select
    feed.person_id,
    built.person_id as built_person_id,
    feed.year_of_birth,
    built.year_of_birth as built_year_of_birth
from {{ ref('stg_omop_feed__persons') }} as feed
left join {{ ref('person') }} as built
    on feed.person_id = built.person_id
where
    built.person_id is null
    or feed.year_of_birth != built.year_of_birth
    or coalesce(feed.month_of_birth, -1) != coalesce(built.month_of_birth, -1)
    or coalesce(feed.day_of_birth, -1) != coalesce(built.day_of_birth, -1)
    or feed.gender_concept_id != built.gender_concept_id
    or feed.race_concept_id != built.race_concept_id
    or feed.ethnicity_concept_id != built.ethnicity_concept_id
