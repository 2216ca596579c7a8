{#-
    The bronze table `name` (`fhir_immunization`) of the schema `anchor` is in, as a relation,
    or none when bronze has no such table (no resource of that type was ever loaded). Found when
    the node runs, as bronze_fhir_tables finds them.
-#}
{% macro fhir_bronze_table(anchor, name) -%}
    {%- for relation in bronze_fhir_tables(anchor) if relation.identifier == name -%}
        {{ return(relation) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
