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
