{#-
    The `fhir_<type>` tables of the schema `relation` is in, as relations, in name order: every
    resource type ingest kept, modelled or not. Listed when the node runs (an empty list while
    dbt only parses). dbt's list_relations_without_caching gives a result table on DuckDB (a
    query of its catalog) and a list of relations on Athena (read from Glue), so each engine
    reads its own form.
-#}
{% macro bronze_fhir_tables(relation) -%}
    {%- set tables = [] -%}
    {%- if execute -%}
        {%- set schema_relation = api.Relation.create(
            database=relation.database, schema=relation.schema
        ) -%}
        {%- set names = adapter.dispatch('bronze_table_names', 'healthlake')(schema_relation) -%}
        {%- for name in names | sort if name.startswith('fhir_') -%}
            {%- do tables.append(api.Relation.create(
                database=relation.database, schema=relation.schema, identifier=name
            )) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(tables) }}
{%- endmacro %}
