{#-
    meta.lastUpdated (an instant) as a UTC timestamp, for choosing the latest version of a
    resource: `2024-06-01T01:00:00Z` is later than `2024-06-01T09:00:00+10:00`. Null when it is
    no date and time (`not-a-date`, a bare date), so it loses to any valid instant.
-#}
{% macro fhir_instant(value) -%}
    case
        when {{ healthlake.is_fhir_date(value) }} and length({{ value }}) > 10
            then {{ healthlake.instant_to_utc(value) }}
    end
{%- endmacro %}
