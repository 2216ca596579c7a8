{#-
    OHDSI era logic: intervals of the same (person, concept) that start within `gap_days` of the
    end of an earlier one are one era. `intervals` is a relation with person_id, concept_id,
    start_date and end_date. Returns person_id, concept_id, era_start_date, era_end_date,
    occurrence_count and gap_days (days inside the era not covered by any interval).
-#}
{% macro merge_into_eras(intervals, gap_days=30) -%}
    with

    padded as (

        select
            person_id,
            concept_id,
            start_date,
            end_date,
            cast({{ dbt.dateadd('day', gap_days, 'end_date') }} as date) as padded_end_date
        from {{ intervals }}

    ),

    ordered as (

        select
            *,
            max(padded_end_date) over (
                partition by person_id, concept_id
                order by start_date, end_date
                rows between unbounded preceding and 1 preceding
            ) as previous_padded_end_date
        from padded

    ),

    numbered as (

        select
            *,
            sum(
                case
                    when previous_padded_end_date is null or start_date > previous_padded_end_date
                        then 1
                    else 0
                end
            ) over (
                partition by person_id, concept_id
                order by start_date, end_date
                rows between unbounded preceding and current row
            ) as era_number
        from ordered

    )

    select
        person_id,
        concept_id,
        min(start_date) as era_start_date,
        max(end_date) as era_end_date,
        count(*) as occurrence_count,
        greatest(
            {{ days_between('min(start_date)', 'max(end_date)') }}
            - sum({{ days_between('start_date', 'end_date') }}),
            0
        ) as gap_days
    from numbered
    group by person_id, concept_id, era_number
{%- endmacro %}
