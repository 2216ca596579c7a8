{#- No two rows share the same values in `columns` (dbt_utils' unique_combination_of_columns; the
    package hub is not reachable, so the few generic tests we need are ours). -#}
{% test unique_combination_of_columns(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
