{#-
    An ISO 8601 timestamp text with its UTC offset (`2024-06-01T09:00:00+10:00`, `...Z`) as the
    UTC timestamp it names (`2024-05-31 23:00:00`); null when the text is not such a timestamp.
    Text without an offset is read as UTC, on both engines (DuckDB would otherwise read it in the
    machine's time zone). Callers check the shape first (fhir_instant): both engines' parsers
    accept forms FHIR does not.
-#}
{% macro instant_to_utc(value) -%}
    {{ return(adapter.dispatch('instant_to_utc', 'healthlake')(value)) }}
{%- endmacro %}

{% macro default__instant_to_utc(value) -%}
    cast(
        timezone(
            'UTC',
            try_cast(
                case
                    when {{ healthlake.matches_pattern(value, '(Z|[+-][0-9]{2}:[0-9]{2})$') }}
                        then {{ value }}
                    else {{ value }} || 'Z'
                end as timestamptz
            )
        ) as timestamp
    )
{%- endmacro %}

{% macro trino__instant_to_utc(value) -%}
    cast(
        try(
            from_iso8601_timestamp(
                case
                    when {{ healthlake.matches_pattern(value, '(Z|[+-][0-9]{2}:[0-9]{2})$') }}
                        then {{ value }}
                    else {{ value }} || 'Z'
                end
            )
        ) at time zone 'UTC' as timestamp(6)
    )
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__instant_to_utc(value) -%}
    {{ healthlake.trino__instant_to_utc(value) }}
{%- endmacro %}
