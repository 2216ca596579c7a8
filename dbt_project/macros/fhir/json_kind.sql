{#-
    The JSON type of a JSON text (as json_extract_json gives it): string, number, boolean,
    array, object or null. Read from its first character, which JSON fixes, so both engines
    agree without a type function of their own.
-#}
{% macro json_kind(json_text) -%}
    case substr({{ json_text }}, 1, 1)
        when '"' then 'string'
        when '[' then 'array'
        when '{' then 'object'
        when 't' then 'boolean'
        when 'f' then 'boolean'
        when 'n' then 'null'
        else 'number'
    end
{%- endmacro %}
