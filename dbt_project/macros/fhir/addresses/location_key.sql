{#- The key of an address in the location id map: state|city|postal code of the normalised
    columns of fhir_address_columns, the city case-folded. -#}
{% macro location_key(city, state, postal_code) -%}
    'Location/'
    || coalesce(upper({{ state }}), '')
    || '|'
    || coalesce(lower({{ city }}), '')
    || '|'
    || coalesce({{ postal_code }}, '')
{%- endmacro %}
