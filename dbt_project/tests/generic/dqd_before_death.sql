{#- OHDSI DQD plausibleBeforeDeath: an event dated more than 60 days after its person's death. -#}
{% test dqd_before_death(model, column_name, threshold_percent=0) %}
    {%- set failing -%}
        exists (
            select 1
            from {{ ref('death') }} as deaths
            where
                deaths.person_id = checked.person_id
                and cast({{ column_name }} as date)
                > cast({{ dbt.dateadd('day', 60, 'deaths.death_date') }} as date)
        )
    {%- endset -%}
    {{ healthlake.dqd_failure_share(model, failing, column_name ~ ' is not null', threshold_percent) }}
{% endtest %}
