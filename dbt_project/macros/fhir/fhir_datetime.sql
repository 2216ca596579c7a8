{#-
    A FHIR date, dateTime or instant as a timestamp of its recorded wall-clock time: the offset
    is dropped (OMOP datetimes carry no zone) so the date and the datetime of an event agree.
    Partial dates ("1990", "1990-05") and text that is no date give null, never an error.
-#}
{% macro fhir_datetime(value) -%}
    try_cast(replace(substr({{ value }}, 1, 19), 'T', ' ') as {{ healthlake.timestamp_type() }})
{%- endmacro %}

{#- The calendar date of a FHIR date, dateTime or instant; null when partial or invalid. -#}
{% macro fhir_date(value) -%}
    try_cast(substr({{ value }}, 1, 10) as date)
{%- endmacro %}
