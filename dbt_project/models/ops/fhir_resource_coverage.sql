-- What the lakehouse does with each FHIR resource type bronze holds: mapped to the OMOP CDM (the
-- types staging models, with how many resources reached an OMOP table and how many had a value
-- set aside), flattened by SQL-on-FHIR views into silver tables, or neither (kept in bronze
-- only, still queryable there). With fhir_omop_reconciliation and fhir_set_aside, every ingested
-- resource is mapped, set aside with a reason, or counted here.

-- The silver tables of the ViewDefinitions in fhir_views/, by the resource type each reads.
{%- set views_by_type = {} -%}
{%- if execute -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.config.meta.get('fhir_resource_type') -%}
        {%- do views_by_type.setdefault(node.config.meta['fhir_resource_type'], []).append(
            node.alias or node.name
        ) -%}
    {%- endfor -%}
{%- endif %}

with

resource_types as (

    select * from {{ ref('stg_fhir__resource_types') }}

),

reconciliation as (

    select * from {{ ref('fhir_omop_reconciliation') }}

),

id_map as (

    select * from {{ ref('int_omop_id_map') }}

),

-- Organizations and Practitioners become care sites and providers, which the reconciliation of
-- clinical resources does not trace: count them through the id map; a Medication reaches OMOP
-- as the drug of a request that names it.
directory_in_omop as (

    {% for resource_type, model, id_column, omop_table in [
        ('Organization', 'stg_fhir__organizations', 'organization_id', 'care_site'),
        ('Practitioner', 'stg_fhir__practitioners', 'practitioner_id', 'provider'),
    ] %}
        select
            '{{ resource_type }}' as resource_type,
            count(*) as resources_in_omop
        from {{ ref(model) }} as staged
        inner join id_map
            on
                id_map.omop_table = '{{ omop_table }}'
                and id_map.source_key = '{{ resource_type }}/' || staged.{{ id_column }}
        union all
    {% endfor %}
    select
        'Medication' as resource_type,
        count(distinct resolved_medication_id) as resources_in_omop
    from {{ ref('int_fhir_medication_requests_resolved') }}

),

set_aside as (

    select
        resource_type,
        count(distinct resource_id) as resources_with_values_set_aside
    from {{ ref('fhir_set_aside') }}
    group by resource_type

),

final as (

    select
        resource_types.resource_type,
        resource_types.bronze_table,
        resource_types.resources,
        resource_types.versions,
        case resource_types.resource_type
            {% for staged in fhir_staged_types() %}
                when '{{ staged.type }}' then '{{ staged.omop }}'
            {% endfor %}
        end as omop_tables,
        resource_types.resource_type in (
            {% for staged in fhir_staged_types() %}
                '{{ staged.type }}'{% if not loop.last %},{% endif %}
            {% endfor %}
        ) as is_modelled,
        {% if views_by_type %}
            case resource_types.resource_type
                {% for resource_type, tables in views_by_type | dictsort %}
                    when '{{ resource_type }}' then '{{ tables | sort | join(", ") }}'
                {% endfor %}
            end
        {% else %}
            cast(null as varchar)
        {% endif %} as silver_views,
        coalesce(reconciliation.resources_in_omop, directory_in_omop.resources_in_omop)
            as resources_in_omop,
        coalesce(set_aside.resources_with_values_set_aside, 0) as resources_with_values_set_aside,
        {{ lineage_columns() }}
    from resource_types
    left join reconciliation
        on resource_types.resource_type = reconciliation.resource_type
    left join directory_in_omop
        on resource_types.resource_type = directory_in_omop.resource_type
    left join set_aside
        on resource_types.resource_type = set_aside.resource_type

)

select * from final
