{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
    )
}}
-- How big was each OMOP table after each run? One row per table per dbt invocation, appended
-- run after run: the OMOP tables carry no lineage columns of their own (they keep the CDM
-- shape), so this is their run history.
with

counts as (

    {% for table in [
        'person', 'observation_period', 'visit_occurrence', 'condition_occurrence',
        'drug_exposure', 'procedure_occurrence', 'device_exposure', 'measurement',
        'observation', 'death', 'location', 'care_site', 'provider', 'cdm_source',
        'condition_era', 'drug_era',
    ] %}
        select
            '{{ table }}' as omop_table,
            count(*) as row_count
        from {{ ref(table) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        omop_table,
        cast(row_count as bigint) as row_count,
        cast('{{ target.name }}' as varchar) as target_name,
        {{ lineage_columns() }}
    from counts

)

select * from final
