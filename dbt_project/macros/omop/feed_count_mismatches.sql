{#-
    Persons of the OMOP feed whose row count in `omop_table` differs between the feed (the
    staging model `feed_model`) and the OMOP CDM built from FHIR. Returns the mismatches.
-#}
{% macro feed_count_mismatches(feed_model, omop_table) -%}
    with

    feed_persons as (

        select person_id from {{ ref('stg_omop_feed__persons') }}

    ),

    feed_counts as (

        select
            person_id,
            count(*) as row_count
        from {{ ref(feed_model) }}
        group by person_id

    ),

    built_counts as (

        select
            person_id,
            count(*) as row_count
        from {{ ref(omop_table) }}
        group by person_id

    )

    select
        feed_persons.person_id,
        coalesce(feed_counts.row_count, 0) as feed_rows,
        coalesce(built_counts.row_count, 0) as built_rows
    from feed_persons
    left join feed_counts
        on feed_persons.person_id = feed_counts.person_id
    left join built_counts
        on feed_persons.person_id = built_counts.person_id
    where coalesce(feed_counts.row_count, 0) != coalesce(built_counts.row_count, 0)
{%- endmacro %}
