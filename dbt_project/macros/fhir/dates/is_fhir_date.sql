{#- True when `value` is text in the shape of a FHIR date, dateTime or instant. -#}
{% macro is_fhir_date(value) -%}
    coalesce({{ healthlake.matches_pattern(value, healthlake.fhir_date_pattern()) }}, false)
{%- endmacro %}
