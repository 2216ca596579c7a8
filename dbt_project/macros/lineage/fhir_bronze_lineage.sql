{#-
    bronze_lineage, the resource's meta.lastUpdated (as a date, and as the UTC instant that chose
    this version), and whether another version tied with it (see fhir_latest_versions), for FHIR
    staging. `relation` must be the CTE that fhir_latest_versions made.
-#}
{% macro fhir_bronze_lineage(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ fhir_date(prefix ~ 'last_updated') }} as last_updated_date,
    {{ prefix }}last_updated_at,
    coalesce(
        {{ prefix }}runner_up_resource_json <> {{ prefix }}resource_json
        and (
            {{ prefix }}runner_up_last_updated_at = {{ prefix }}last_updated_at
            or (
                {{ prefix }}runner_up_last_updated_at is null
                and {{ prefix }}last_updated_at is null
            )
        ),
        false
    ) as has_conflicting_versions,
    {{ bronze_lineage(relation) }}
{%- endmacro %}
