{#-
    The logical id a FHIR reference points to: "Patient/123" -> "123",
    "https://server/fhir/Patient/123/_history/2" -> "123", "urn:uuid:abc" -> "abc" (transaction
    Bundles and Synthea), "#med1" -> "med1" (a contained resource). Null stays null, and so does
    a conditional reference ("Practitioner?identifier=system|value"): it names no id, only an
    identifier to search for (fhir_reference_identifier below).
-#}
{% macro fhir_reference_id(reference) -%}
    case
        when {{ reference }} like 'urn:uuid:%' then substr({{ reference }}, 10)
        when {{ reference }} like 'urn:oid:%' then substr({{ reference }}, 9)
        when {{ reference }} like '#%' then substr({{ reference }}, 2)
        when {{ reference }} like '%?%' then null
        else nullif(regexp_extract({{ reference }}, '([^/]+)/([^/]+)(/_history/[^/]+)?$', 2), '')
    end
{%- endmacro %}

{#-
    The Patient id a subject/patient reference points to, or null when it points to something
    else (a Group, a Location, a Device: FHIR allows those as Observation.subject).
-#}
{% macro fhir_patient_id(reference) -%}
    case
        when
            {{ reference }} like 'urn:%'
            or {{ reference }} like '#%'
            or regexp_extract({{ reference }}, '([^/]+)/([^/]+)(/_history/[^/]+)?$', 1) = 'Patient'
            then {{ fhir_reference_id(reference) }}
    end
{%- endmacro %}

{#-
    The identifier system or value (`part`) a Reference names instead of, or beside, an id:
    - a conditional reference, "Type?identifier=system|value" (Synthea's practitioners and
      organizations), "Type?identifier=value" or "Type?identifier=|value" (no system: null);
    - else the Reference's own `identifier` (a logical reference, e.g. our generator's
      serviceProvider {"identifier": {"system": ..., "value": ...}}).
    `json_expression` is the resource JSON and `path` the Reference element ('$.serviceProvider').
    Matching the identifier to a resource is int_fhir_encounter_references_resolved's job.
-#}
{% macro fhir_reference_identifier(json_expression, path, part) -%}
    {%- set groups = {'system': 1, 'value': 2} -%}
    {%- set reference = json_extract_string(json_expression, path ~ '.reference') -%}
    case
        when {{ reference }} like '%?%'
            then nullif(
                regexp_extract(
                    {{ reference }},
                    '[?&]identifier=(?:([^&|]*)[|])?([^&]*)',
                    {{ groups[part] }}
                ),
                ''
            )
        else {{ json_extract_string(json_expression, path ~ '.identifier.' ~ part) }}
    end
{%- endmacro %}

{#-
    The resource type a reference names: "Practitioner/1", ".../Practitioner/1/_history/2" and
    "Practitioner?identifier=..." give Practitioner; urn:uuid and contained ("#id") references
    name no type (null).
-#}
{% macro fhir_reference_type(reference) -%}
    case
        when {{ reference }} like 'urn:%' or {{ reference }} like '#%' then null
        when {{ reference }} like '%?%'
            then nullif(regexp_extract({{ reference }}, '([^/?]+)[?]', 1), '')
        else nullif(regexp_extract({{ reference }}, '([^/]+)/([^/]+)(/_history/[^/]+)?$', 1), '')
    end
{%- endmacro %}

{#-
    The practitioner a resource names for itself, for an event's OMOP provider_id: `part` ('id',
    'system', 'value' as in fhir_reference_identifier, or 'display') of the first Reference
    element of `paths` (e.g. ['$.asserter', '$.recorder']) that refers to a Practitioner. An
    element of another type (Patient, Organization, PractitionerRole, ...) is passed over; a
    urn:uuid, contained or logical reference without a type counts as a practitioner.
    int_fhir_references_resolved resolves id or identifier to the provider key.
-#}
{% macro fhir_practitioner_reference(json_expression, paths, part) -%}
    case
        {%- for path in paths %}
            {%- set reference = json_extract_string(json_expression, path ~ '.reference') %}
            {%- set identifier_value = json_extract_string(
                json_expression, path ~ '.identifier.value'
            ) %}
        when
            coalesce({{ reference }}, {{ identifier_value }}) is not null
            and coalesce(
                {{ fhir_reference_type(reference) }},
                {{ json_extract_string(json_expression, path ~ '.type') }},
                'Practitioner'
            ) = 'Practitioner'
            then
            {%- if part == 'id' %} {{ fhir_reference_id(reference) }}
            {%- elif part == 'display' %} {{ json_extract_string(json_expression, path ~ '.display') }}
            {%- else %} {{ fhir_reference_identifier(json_expression, path, part) }}
            {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}

{#-
    What every event staging model (Condition, Observation, MedicationRequest, Procedure) says
    about who and where: patient_id (its subject), encounter_id, and the practitioner the
    resource names for itself, the first element of `practitioner_paths` that refers to a
    Practitioner (fhir_practitioner_reference): practitioner_id, or the identifier that
    int_fhir_references_resolved matches (practitioner_identifier_system / _value), and
    practitioner_display. `prefix` qualifies the bronze columns ('latest.').
-#}
{% macro fhir_event_references(practitioner_paths, prefix='') -%}
    {%- set resource_json = prefix ~ 'resource_json' -%}
    {{ fhir_patient_id(prefix ~ 'patient_reference') }} as patient_id,
    {{ fhir_reference_id(json_extract_string(resource_json, '$.encounter.reference')) }}
        as encounter_id,
    {{ fhir_practitioner_reference(resource_json, practitioner_paths, 'id') }} as practitioner_id,
    {{ fhir_practitioner_reference(resource_json, practitioner_paths, 'system') }}
        as practitioner_identifier_system,
    {{ fhir_practitioner_reference(resource_json, practitioner_paths, 'value') }}
        as practitioner_identifier_value,
    {{ fhir_practitioner_reference(resource_json, practitioner_paths, 'display') }}
        as practitioner_display
{%- endmacro %}
