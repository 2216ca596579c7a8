{#- The year (part='year', 1-4) or month (part='month', 6-7) of a FHIR date, even a partial one;
    null when the text is no FHIR date or too short to have the part. -#}
{% macro fhir_date_part(value, part) -%}
    {%- set start, length = {'year': (1, 4), 'month': (6, 7)}[part] -%}
    case
        when {{ healthlake.is_fhir_date(value) }} and length({{ value }}) >= {{ length }}
            then cast(substr({{ value }}, {{ start }}, {{ 4 if part == 'year' else 2 }}) as integer)
    end
{%- endmacro %}
