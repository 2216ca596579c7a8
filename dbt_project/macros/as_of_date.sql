{#-
    The "today" of the marts, as a SQL date expression: var('as_of_date') when set, else the
    last date any observation period reaches. Never the wall clock, so a mart built twice from
    the same data is the same.
-#}
{% macro as_of_date() -%}
    {%- if var('as_of_date') -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (select max(observation_period_end_date) from {{ ref('observation_period') }})
    {%- endif -%}
{%- endmacro %}
