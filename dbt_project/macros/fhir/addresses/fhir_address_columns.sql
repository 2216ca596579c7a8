{#-
    Addresses, normalised in this one place: real systems spell the same place differently
    (`BOSTON` and `Boston`, ` MA`, `02134-1234` and `02134`), and every model that keys or joins
    on an address uses these macros, so one place is one OMOP location.
-#}

{#-
    The city, state and postal code columns of a FHIR Address (`path`, e.g. '$.address[0]'):
    whitespace squished, the state upper-cased, a US ZIP+4 cut to its five-digit ZIP, any other
    postal code upper-cased without spaces. Empty strings are null.
-#}
{% macro fhir_address_columns(json_expression, path) -%}
    {%- set postal = healthlake.squish(
        healthlake.json_extract_string(json_expression, path ~ '.postalCode')
    ) -%}
    {{ healthlake.squish(healthlake.json_extract_string(json_expression, path ~ '.city')) }}
        as address_city,
    upper({{ healthlake.squish(healthlake.json_extract_string(json_expression, path ~ '.state')) }})
        as address_state,
    case
        when {{ healthlake.matches_pattern(postal, '^[0-9]{5}(-? ?[0-9]{4})?$') }}
            then substr({{ postal }}, 1, 5)
        else upper(replace({{ postal }}, ' ', ''))
    end as address_postal_code
{%- endmacro %}
