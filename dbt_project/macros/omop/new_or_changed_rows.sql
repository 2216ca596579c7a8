{#-
    For incremental OMOP tables: on an incremental run, keep only rows that are new or differ from
    the row of the same id already in the table; `merge` on the id then inserts or updates them.
    EXCEPT compares whole rows (nulls equal), in DuckDB and Trino alike, so nothing unchanged is
    rewritten: on Athena that is the Iceberg data a run rewrites. Rows that leave the table are
    deleted by remove_rows_gone_upstream, the models' post-hook.
-#}
{% macro new_or_changed_rows() -%}
    {%- if is_incremental() %}
    except
    select * from {{ this }}
    {%- endif -%}
{%- endmacro %}
