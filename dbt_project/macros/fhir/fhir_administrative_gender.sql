{#-
    A FHIR AdministrativeGender code (male, female, other, unknown), case-folded; null for any
    other value. Codes are case-sensitive in FHIR, but `Male` can only mean male.
-#}
{% macro fhir_administrative_gender(value) -%}
    case
        when lower(trim({{ value }})) in ('male', 'female', 'other', 'unknown')
            then lower(trim({{ value }}))
    end
{%- endmacro %}
