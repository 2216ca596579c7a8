{#-
    The `fhir_<type>` tables of the schema `relation` is in, as relations, in name order: every
    resource type ingest kept, modelled or not. Read from information_schema when the node runs,
    the same query on both engines; an empty list while dbt only parses, or when the query gives
    no result set (moto's Athena in `just parity` runs no queries).
-#}
{% macro bronze_fhir_tables(relation) -%}
    {%- set tables = [] -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select table_name from information_schema.tables where table_schema = '"
            ~ relation.schema ~ "' order by table_name"
        ) -%}
        {%- set names = found.columns[0].values() if found.columns | length > 0 else [] -%}
        {%- for name in names if name.startswith('fhir_') -%}
            {%- do tables.append(api.Relation.create(
                database=relation.database, schema=relation.schema, identifier=name
            )) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(tables) }}
{%- endmacro %}
