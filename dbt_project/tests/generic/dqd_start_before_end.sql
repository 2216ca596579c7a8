{#- OHDSI DQD plausibleStartBeforeEnd: a start after its end, beyond threshold_percent. -#}
{% test dqd_start_before_end(model, column_name, end_column, threshold_percent=0) %}
    {{ healthlake.dqd_failure_share(
        model,
        column_name ~ ' > ' ~ end_column,
        column_name ~ ' is not null and ' ~ end_column ~ ' is not null',
        threshold_percent
    ) }}
{% endtest %}
