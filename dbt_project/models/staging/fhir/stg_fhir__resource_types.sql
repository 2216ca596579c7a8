{#-
    Every FHIR resource type bronze holds, modelled or not: `just ingest-fhir` keeps any type
    (Immunization, Claim, DocumentReference, ...) in its own `bronze.fhir_<type>` table, and this
    model lists them all, with their resources and versions, so ops can say what the CDM covers
    and what stays in bronze only. The tables are found when the model runs (the catalog decides
    which exist), next to the declared `fhir_patient` source.
-#}
{%- set tables = bronze_fhir_tables(source('fhir', 'fhir_patient')) -%}
with

final as (

    {% for relation in tables %}
        select
            resource_type,
            '{{ relation.identifier }}' as bronze_table,
            count(distinct resource_id) as resources,
            count(*) as versions,
            max(loaded_at) as bronze_loaded_at
        from {{ relation }}
        group by resource_type
        union all
    {% endfor %}
    select
        cast(null as varchar) as resource_type,
        cast(null as varchar) as bronze_table,
        cast(0 as bigint) as resources,
        cast(0 as bigint) as versions,
        cast(null as {{ timestamp_type() }}) as bronze_loaded_at
    where 1 = 0

)

select * from final
