{#-
    Typed FHIR dates. FHIR writes a date as YYYY, YYYY-MM or YYYY-MM-DD and a dateTime or instant
    as a date with an optional time (hh:mm:ss, fractions) and UTC offset. Every macro in this
    folder checks that shape before casting, so text that is no FHIR date gives null, never a
    wrong value: `12345` is not year 1234, `1990-02-30` is no date at all. ops.fhir_set_aside
    lists each value that was present but gave null, with the reason.
-#}

{#- The shape of a FHIR date/dateTime/instant, leniently: seconds and the offset may be missing
    (real exports write `2020-01-01T10:00` and zone-less times). -#}
{% macro fhir_date_pattern() -%}
    ^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$
{%- endmacro %}
