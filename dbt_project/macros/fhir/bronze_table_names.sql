{% macro default__bronze_table_names(schema_relation) -%}
    {%- set found = list_relations_without_caching(schema_relation) -%}
    {{ return(found.columns['name'].values() | list) }}
{%- endmacro %}

{% macro athena__bronze_table_names(schema_relation) -%}
    {{ return(list_relations_without_caching(schema_relation) | map(attribute='identifier') | list) }}
{%- endmacro %}
