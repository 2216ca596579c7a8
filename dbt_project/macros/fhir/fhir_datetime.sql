{#-
    Typed FHIR dates. FHIR writes a date as YYYY, YYYY-MM or YYYY-MM-DD and a dateTime or instant
    as a date with an optional time (hh:mm:ss, fractions) and UTC offset. Every macro here checks
    that shape before casting, so text that is no FHIR date gives null, never a wrong value:
    `12345` is not year 1234, `1990-02-30` is no date at all. ops.fhir_set_aside lists each
    value that was present but gave null, with the reason.
-#}

{#- The shape of a FHIR date/dateTime/instant, leniently: seconds and the offset may be missing
    (real exports write `2020-01-01T10:00` and zone-less times). -#}
{% macro fhir_date_pattern() -%}
    ^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$
{%- endmacro %}

{#- True when `value` is text in the shape of a FHIR date, dateTime or instant. -#}
{% macro is_fhir_date(value) -%}
    coalesce({{ healthlake.matches_pattern(value, healthlake.fhir_date_pattern()) }}, false)
{%- endmacro %}

{#-
    A FHIR date, dateTime or instant as a timestamp of its recorded wall-clock time: the offset
    is dropped (OMOP datetimes carry no zone) so the date and the datetime of an event agree.
    Partial dates ("1990", "1990-05"), impossible dates and text that is no date give null.
-#}
{% macro fhir_datetime(value) -%}
    case
        when {{ healthlake.is_fhir_date(value) }} and length({{ value }}) >= 10
            then try_cast(
                replace(
                    case
                        when length({{ value }}) = 10 then {{ value }}
                        when substr({{ value }}, 17, 1) = ':' then substr({{ value }}, 1, 19)
                        else substr({{ value }}, 1, 16) || ':00'
                    end,
                    'T',
                    ' '
                ) as {{ healthlake.timestamp_type() }}
            )
    end
{%- endmacro %}

{#- The calendar date of a FHIR date, dateTime or instant; null when partial or invalid. -#}
{% macro fhir_date(value) -%}
    case
        when {{ healthlake.is_fhir_date(value) }} and length({{ value }}) >= 10
            then try_cast(substr({{ value }}, 1, 10) as date)
    end
{%- endmacro %}

{#-
    The first day a FHIR date, even a partial one, can mean: `2007-02` -> 2007-02-01, `1998` ->
    1998-01-01, a full date or dateTime -> its date. For an event with only a partial date, a
    start nearer the truth than the load date; callers mark it imputed. Null when no FHIR date.
-#}
{% macro fhir_date_floor(value) -%}
    case
        when {{ healthlake.is_fhir_date(value) }}
            then try_cast(
                case length({{ value }})
                    when 4 then {{ value }} || '-01-01'
                    when 7 then {{ value }} || '-01'
                    else substr({{ value }}, 1, 10)
                end as date
            )
    end
{%- endmacro %}

{#- The year (part='year', 1-4) or month (part='month', 6-7) of a FHIR date, even a partial one;
    null when the text is no FHIR date or too short to have the part. -#}
{% macro fhir_date_part(value, part) -%}
    {%- set start, length = {'year': (1, 4), 'month': (6, 7)}[part] -%}
    case
        when {{ healthlake.is_fhir_date(value) }} and length({{ value }}) >= {{ length }}
            then cast(substr({{ value }}, {{ start }}, {{ 4 if part == 'year' else 2 }}) as integer)
    end
{%- endmacro %}

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
