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
