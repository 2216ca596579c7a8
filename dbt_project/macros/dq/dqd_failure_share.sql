{#-
    The body of every DQD-style test: counts the rows where `failing` holds among the rows where
    `applies` holds, and returns one row (a failure) only when their share exceeds
    `threshold_percent`, which is how the OHDSI Data Quality Dashboard judges a check.
-#}
{% macro dqd_failure_share(model, failing, applies, threshold_percent) -%}
    with

    checked as (

        select * from {{ model }}
        where {{ applies }}

    ),

    tally as (

        select
            count(*) as rows_checked,
            sum(case when {{ failing }} then 1 else 0 end) as rows_failing
        from checked

    )

    select
        rows_checked,
        rows_failing,
        100.0 * rows_failing / rows_checked as percent_failing,
        {{ threshold_percent }} as threshold_percent
    from tally
    where rows_checked > 0 and 100.0 * rows_failing / rows_checked > {{ threshold_percent }}
{%- endmacro %}
