{#- OHDSI DQD plausibleAfterBirth: an event dated before its person's birth. -#}
{% test dqd_after_birth(model, column_name, threshold_percent=0) %}
    {%- set failing -%}
        exists (
            select 1
            from {{ ref('person') }} as persons
            where
                persons.person_id = checked.person_id
                and cast({{ column_name }} as date) < cast(
                    coalesce(
                        persons.birth_datetime,
                        cast(cast(persons.year_of_birth as varchar) || '-01-01' as date)
                    ) as date
                )
        )
    {%- endset -%}
    {{ healthlake.dqd_failure_share(model, failing, column_name ~ ' is not null', threshold_percent) }}
{% endtest %}
