{#-
    The post-hook of the incremental OMOP tables: on an incremental run, delete the rows whose
    key the model's input no longer has: a resource gone from bronze (its file loaded again
    without it), or a code a terminology change re-routed to another table. `target_table`
    names the int_omop_events_keyed rows the table is built from, with the same filter.
-#}
{% macro remove_rows_gone_upstream(key, upstream, upstream_key, target_table=none) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key }} not in (
            select upstream_rows.{{ upstream_key }}
            from {{ upstream }} as upstream_rows
            where
                upstream_rows.{{ upstream_key }} is not null
                {%- if target_table is not none %}
                and upstream_rows.target_table = '{{ target_table }}'
                and upstream_rows.person_id is not null
                {%- endif %}
        )
    {%- endif -%}
{%- endmacro %}
