{#-
    OHDSI DQD plausibleValueLow / plausibleValueHigh: the share of non-null values outside
    [min_value, max_value] must not exceed threshold_percent. Bounds are numbers, ISO dates
    ('1950-01-01'), or 'tomorrow' / 'next_year' (relative to the day the test runs).
-#}
{% test dqd_plausible_value_range(model, column_name, min_value=none, max_value=none, threshold_percent=0) %}
    {%- set bounds = [] -%}
    {%- for bound, op in [(min_value, '<'), (max_value, '>')] if bound is not none -%}
        {%- if bound == 'tomorrow' -%}
            {%- set value = 'cast(' ~ dbt.dateadd('day', 1, 'current_date') ~ ' as date)' -%}
        {%- elif bound == 'next_year' -%}
            {%- set value = 'extract(year from current_date) + 1' -%}
        {%- elif bound is string -%}
            {%- set value = "cast('" ~ bound ~ "' as date)" -%}
        {%- else -%}
            {%- set value = bound -%}
        {%- endif -%}
        {%- do bounds.append(column_name ~ ' ' ~ op ~ ' ' ~ value) -%}
    {%- endfor %}
    {{ healthlake.dqd_failure_share(model, '(' ~ bounds | join(' or ') ~ ')', column_name ~ ' is not null', threshold_percent) }}
{% endtest %}
