{#-
    The columns of one clinical fact (int_fhir_clinical_events_routed), in one order and with one type
    each, so the four resource types can be unioned: `values` maps a column to its expression
    for this resource type; a column it leaves out is a typed null. The columns every resource
    type has (no null type here) must be given.
-#}
{% macro clinical_fact_columns(values) -%}
    {%- set columns = [
        ('resource_type', none),
        ('resource_id', none),
        ('component_index', none),
        ('patient_id', none),
        ('encounter_id', none),
        ('usual_table', none),
        ('own_start_date', 'date'),
        ('own_start_at', timestamp_type()),
        ('partial_start_date', 'date'),
        ('end_date', 'date'),
        ('end_at', timestamp_type()),
        ('code_text', 'varchar'),
        ('value_as_number', 'double'),
        ('value_as_string', 'varchar'),
        ('unit_source_value', 'varchar'),
        ('unit_code', 'varchar'),
        ('range_low', 'double'),
        ('range_high', 'double'),
        ('quantity', 'double'),
        ('days_supply', 'integer'),
        ('refills', 'integer'),
        ('sig', 'varchar'),
        ('route_source_value', 'varchar'),
        ('status_source_value', none),
        ('last_updated_date', none),
        ('bronze_loaded_at', none),
        ('source_file', none),
        ('bronze_pipeline_run_id', none),
    ] -%}
    {%- set known = columns | map(attribute=0) | list -%}
    {%- for name in values if name not in known -%}
        {{ exceptions.raise_compiler_error("clinical_fact_columns: unknown column " ~ name) }}
    {%- endfor -%}
    {%- for name, null_type in columns %}
        {%- if name in values %}
    {{ values[name] }} as {{ name }}
        {%- elif null_type is none %}
    {{ exceptions.raise_compiler_error("clinical_fact_columns: no value for " ~ name) }}
        {%- else %}
    cast(null as {{ null_type }}) as {{ name }}
        {%- endif %}
        {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
