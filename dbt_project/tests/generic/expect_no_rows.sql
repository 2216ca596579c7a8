{#- The model is empty. Used with severity warn on worklists (quarantined records): a warning
    says there is something to look at without failing the build. -#}
{% test expect_no_rows(model) %}
    select * from {{ model }}
{% endtest %}
