{#-
    A post-hook of the incremental FHIR staging models: deletes the rows of resources bronze no
    longer holds any version of (their file was loaded again without them). Empty, so not run,
    when no staged row lost its bronze version.
-#}
{% macro fhir_remove_vanished_resources(relation) -%}
    {%- if is_incremental() and fhir_any_staged_version_vanished(relation) -%}
        delete from {{ this }}
        where {{ fhir_staged_version_vanished(this, relation) }}
    {%- endif -%}
{%- endmacro %}
