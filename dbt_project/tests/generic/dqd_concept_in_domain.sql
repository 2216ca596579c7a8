{#-
    OHDSI DQD fkDomain and isStandardValidConcept: a non-zero concept id must be a standard,
    valid concept of the expected domain in omop.concept (0, "No matching concept", is allowed:
    it is how OMOP keeps unmapped source codes).
-#}
{% test dqd_concept_in_domain(model, column_name, domain=none, threshold_percent=0) %}
    {%- set failing -%}
        not exists (
            select 1
            from {{ ref('concept') }} as concepts
            where
                concepts.concept_id = {{ column_name }}
                and concepts.standard_concept = 'S'
                and concepts.invalid_reason is null
                {% if domain %}and concepts.domain_id = '{{ domain }}'{% endif %}
        )
    {%- endset -%}
    {{ healthlake.dqd_failure_share(
        model, failing, column_name ~ ' is not null and ' ~ column_name ~ ' != 0', threshold_percent
    ) }}
{% endtest %}
