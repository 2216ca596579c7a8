{#- The calendar date of a FHIR date, dateTime or instant; null when partial or invalid. -#}
{% macro fhir_date(value) -%}
    case
        when {{ healthlake.is_fhir_date(value) }} and length({{ value }}) >= 10
            then try_cast(substr({{ value }}, 1, 10) as date)
    end
{%- endmacro %}
