"""Render a population batch as FHIR R4 resources, one JSON document per line (Bulk Data NDJSON).

Rendering is pure formatting of the batch's columns: it draws nothing, so the FHIR and OMOP
renderings of a batch always describe the same people and events. Each line is assembled by
Arrow's element-wise string join from constant, pre-escaped JSON fragments and the batch's
columns (ids, dates and numbers cast to text in C++), with no Python work per resource; this is
what keeps rendering above 10,000 patients a second. `tests/generators/test_fhir.py` validates
the output against the FHIR models and parses every line back.

The resources carry the OMOP ids of their rows as identifiers (systems from
`terminology.omop_id_system`), `subject` and `encounter` references, and the reference date as
`meta.lastUpdated`: the linkage contract the dbt models and `python -m generators validate`
rely on.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from generators import terminology, world
from generators.config import GeneratorConfig
from generators.geography import us_states
from generators.population import (
    BLOOD_PRESSURE,
    CDC_RACE_ETHNICITY_SYSTEM,
    DAYS_SUPPLY,
    ETHNICITY_CODES,
    ETHNICITY_DISPLAYS,
    OBSERVATION_KEYS,
    RACE_CODES,
    RACE_DISPLAYS,
    REFILLS,
    SEX_CODES,
    VISIT_KINDS,
    People,
    PeopleBatch,
    name_list,
)
from generators.terminology import omop_id_system

# The identifier system under which a Patient carries its OMOP person_id.
PERSON_ID_SYSTEM = omop_id_system("person")
# Ids of the world's FHIR resources: Organization/care-site-<care_site_id>,
# Practitioner/provider-<provider_id>.
ORGANIZATION_ID_PREFIX = "care-site-"
PRACTITIONER_ID_PREFIX = "provider-"
ORGANIZATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"
PRIMARY_PERFORMER = (
    '{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType",'
    '"code":"PPRF","display":"primary performer"}'
)
US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"

Parts = list[pa.Array | str]


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _join(parts: Parts, skip_nulls: bool = False) -> pa.Array:
    """Concatenate string arrays and constant fragments element-wise.

    With `skip_nulls`, a null in a row leaves that part out of the row (nothing is written for
    it); otherwise no part may be null.
    """
    arrays = [part for part in parts if not isinstance(part, str)]
    if arrays and len(arrays[0]) == 0:
        return pa.array([], pa.string())
    return pc.binary_join_element_wise(
        *parts, "", null_handling="skip" if skip_nulls else "emit_null"
    )


def _ids(values: npt.NDArray[np.bytes_]) -> pa.Array:
    """Fixed-width ASCII ids (UUIDs) as an Arrow string array, sharing the numpy buffer."""
    width = values.dtype.itemsize
    offsets = np.arange(0, width * (len(values) + 1), width, dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(values), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(values))
    )


def _text(values: npt.NDArray[np.generic], null: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    """Numbers as JSON number text, dates as YYYY-MM-DD; null where `null` holds."""
    return pc.cast(pa.array(values, mask=null), pa.string())


@cache
def _quoted_names() -> pa.Array:
    """Every name of `population.name_list()` as a JSON string, encoded once per process."""
    return pa.array([_json(str(name)) for name in name_list()], pa.string())


def _pick(fragments: list[str], index: npt.NDArray[np.int64]) -> pa.Array:
    """One fragment per row, chosen by index (a vectorized take of a small table)."""
    return pa.array(fragments, pa.string()).take(pa.array(index))


def _coding(system: str, code: str, display: str) -> str:
    return _json({"system": system, "code": code, "display": display})


def _concept(code: terminology.Code) -> str:
    """A CodeableConcept with one coding and the display as text."""
    coding = _coding(code.system, code.code, code.display)
    return f'{{"coding":[{coding}],"text":{_json(code.display)}}}'


def _omb_extension(url: str, code: str, display: str) -> str:
    coding = _coding(CDC_RACE_ETHNICITY_SYSTEM, code, display)
    return (
        f'{{"url":"{url}","extension":[{{"url":"ombCategory","valueCoding":{coding}}},'
        f'{{"url":"text","valueString":{_json(display)}}}]}}'
    )


def last_updated(config: GeneratorConfig) -> str:
    """The `meta.lastUpdated` instant of every generated resource: the reference date, UTC."""
    return f"{config.reference_date.isoformat()}T00:00:00Z"


def _meta_and_identifier(config: GeneratorConfig, system: str) -> str:
    return (
        f'","meta":{{"lastUpdated":"{last_updated(config)}"}},'
        f'"identifier":[{{"system":"{system}","value":"'
    )


def _subject(batch: PeopleBatch, person_index: npt.NDArray[np.int64]) -> Parts:
    patients = pa.array(batch.patient_uuid, pa.string())
    return [',"subject":{"reference":"Patient/', patients.take(pa.array(person_index)), '"}']


def _encounter(batch: PeopleBatch, visit_index: npt.NDArray[np.int64]) -> Parts:
    return [',"encounter":{"reference":"Encounter/', _ids(batch.visits.uuid[visit_index]), '"}']


def _practitioner_references(config: GeneratorConfig) -> list[str]:
    """One Reference per provider, by provider_id - 1: literal, with OMOP id and display."""
    providers = world.draw_providers(config)
    return [
        f'{{"reference":"Practitioner/{PRACTITIONER_ID_PREFIX}{provider_id}",'
        f'"identifier":{{"system":"{omop_id_system("provider")}","value":"{provider_id}"}},'
        f'"display":{_json(f"Dr. {given} {family}")}}}'
        for provider_id, given, family in zip(
            providers.provider_id, providers.given_name, providers.family_name, strict=True
        )
    ]


def _practitioner(config: GeneratorConfig, provider_id: npt.NDArray[np.int64]) -> pa.Array:
    """Each row's Practitioner reference, picked from the providers' fragments."""
    return _pick(_practitioner_references(config), provider_id - 1)


def _visit_practitioner(
    batch: PeopleBatch, visit_index: npt.NDArray[np.int64], element: str
) -> Parts:
    """An event's practitioner: its visit's provider, as the JSON `element` opens and closes it
    (`"asserter":` ... or `"performer":[{"actor":` ... `}]`).

    A literal reference alone: the Encounter already carries the identifier and display, and
    these lines are most of the output (each extra byte per event costs rendering speed)."""
    opening, closing = element.split("...")
    provider_id = batch.visits.provider_id[visit_index]
    reference = f'{{"reference":"Practitioner/{PRACTITIONER_ID_PREFIX}'
    return [opening + reference, _text(provider_id), '"}' + closing]


def render_patients(batch: People, config: GeneratorConfig, end: str = "") -> pa.Array:
    """One FHIR R4 Patient per person, as NDJSON lines, each followed by `end`.

    The writer passes `end="\\n"` so the lines come out terminated from the same join that
    assembles them (no second copy of every line to add the newline); every renderer does so.
    """
    states = us_states()
    state_address = _pick(
        [f'"city":{_json(state.city)},"state":"{state.abbreviation}"' for state in states],
        batch.state_index,
    )
    race = _pick(
        [
            _omb_extension(US_CORE_RACE, code, display)
            for code, display in zip(RACE_CODES, RACE_DISPLAYS, strict=True)
        ],
        batch.race_index,
    )
    # ETHNICITY_CODES[0] is Hispanic: index 0 for the Hispanic, 1 for the others.
    ethnicity = _pick(
        [
            _omb_extension(US_CORE_ETHNICITY, str(code), str(display))
            for code, display in zip(ETHNICITY_CODES, ETHNICITY_DISPLAYS, strict=True)
        ],
        (~batch.is_hispanic).astype(np.int64),
    )
    names = _quoted_names()
    given = names.take(pa.array(batch.given_name_index))
    family = names.take(pa.array(batch.family_name_index))
    person_id = _text(batch.person_id)
    # 555-0100..555-0199 are the numbers reserved for fiction.
    phone = _text(100 + batch.person_id % 100)
    zip_code = pc.utf8_lpad(_text(batch.postal_code), 5, "0")
    deceased = pc.if_else(
        pa.array(batch.is_dead),
        _join([',"deceasedDateTime":"', _text(batch.death_date), '"']),
        "",
    )
    return _join(
        [
            '{"resourceType":"Patient","id":"',
            pa.array(batch.patient_uuid),
            f'","meta":{{"lastUpdated":"{last_updated(config)}"}},"extension":[',
            race,
            ",",
            ethnicity,
            f'],"identifier":[{{"system":"{PERSON_ID_SYSTEM}","value":"',
            person_id,
            '"}],"name":[{"use":"official","family":',
            family,
            ',"given":[',
            given,
            ']}],"telecom":[{"system":"phone","value":"555-0',
            phone,
            '","use":"home"}],"gender":"',
            _pick([str(code) for code in SEX_CODES], batch.is_male.astype(np.int64)),
            '","birthDate":"',
            _text(batch.birth_date),
            '"',
            deceased,
            ',"address":[{"use":"home",',
            state_address,
            ',"postalCode":"',
            zip_code,
            '","country":"US"}]}' + end,
        ]
    )


def render_encounters(batch: PeopleBatch, config: GeneratorConfig, end: str = "") -> pa.Array:
    """One FHIR R4 Encounter per visit, naming its care site (`serviceProvider`) and provider
    (the primary performer) by literal reference, OMOP id and display."""
    visits = batch.visits
    classes = [terminology.code(kind) for kind in VISIT_KINDS]
    sites = world.care_sites()
    site_fragments = [
        f'{{"reference":"Organization/{ORGANIZATION_ID_PREFIX}{site_id}",'
        f'"identifier":{{"system":"{omop_id_system("care_site")}","value":"{site_id}"}},'
        f'"display":{_json(str(name))}}}'
        for site_id, name in zip(sites.care_site_id, sites.name, strict=True)
    ]
    return _join(
        [
            '{"resourceType":"Encounter","id":"',
            _ids(visits.uuid),
            _meta_and_identifier(config, omop_id_system("visit_occurrence")),
            _text(visits.visit_id),
            '"}],"status":"finished","class":',
            _pick([_coding(c.system, c.code, c.display) for c in classes], visits.kind),
            *_subject(batch, visits.person_index),
            f',"participant":[{{"type":[{{"coding":[{PRIMARY_PERFORMER}]}}],"individual":',
            _practitioner(config, visits.provider_id),
            '}],"period":{"start":"',
            _text(visits.start),
            '","end":"',
            _text(visits.end),
            '"},"serviceProvider":',
            _pick(site_fragments, visits.care_site_id - 1),
            "}" + end,
        ]
    )


def render_conditions(batch: PeopleBatch, config: GeneratorConfig, end: str = "") -> pa.Array:
    """One FHIR R4 Condition per diagnosis (an encounter diagnosis, recorded at its visit)."""
    conditions = batch.conditions
    codes = [terminology.code(key) for key in batch.condition_keys]
    identifier_systems = [omop_id_system(code.omop_table) for code in codes]
    date = _text(conditions.recorded)
    return _join(
        [
            '{"resourceType":"Condition","id":"',
            _ids(conditions.uuid),
            f'","meta":{{"lastUpdated":"{last_updated(config)}"}},"identifier":[{{"system":"',
            _pick(identifier_systems, conditions.condition),
            '","value":"',
            _text(conditions.omop_id),
            '"}],"clinicalStatus":{"coding":[',
            _coding(terminology.CONDITION_CLINICAL, "active", "Active"),
            ']},"verificationStatus":{"coding":[',
            _coding(terminology.CONDITION_VERIFICATION, "confirmed", "Confirmed"),
            ']},"category":[{"coding":[',
            _coding(terminology.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis"),
            ']}],"code":',
            _pick([_concept(code) for code in codes], conditions.condition),
            *_subject(batch, conditions.person_index),
            *_encounter(batch, conditions.visit_index),
            *_visit_practitioner(batch, conditions.visit_index, ',"asserter":...'),
            ',"onsetDateTime":"',
            date,
            '","recordedDate":"',
            date,
            '"}' + end,
        ]
    )


def _units(code: terminology.Code) -> str:
    """The rest of a valueQuantity after its value: unit and UCUM code, closed."""
    unit = _json(code.unit_code or "")
    return f',"unit":{unit},"system":"{terminology.UCUM}","code":{unit}}}'


def render_observations(batch: PeopleBatch, config: GeneratorConfig, end: str = "") -> pa.Array:
    """One FHIR R4 Observation per vital sign or lab; blood pressure with two components.

    The whole line is one join. What differs by kind of observation (category, code, units and,
    for blood pressure, the second identifier and the two components) comes from fragments picked
    per row by `key`; the columns only blood pressure has (diastolic id and value) are null on the
    other rows and skipped by the join, as are the fragments that surround them.
    """
    observations = batch.observations
    codes = [terminology.code(key) for key in OBSERVATION_KEYS]
    categories = [
        _coding(terminology.OBSERVATION_CATEGORY, "laboratory", "Laboratory")
        if code.kind == "lab"
        else _coding(terminology.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")
        for code in codes
    ]
    measurement_system = omop_id_system("measurement")
    systolic, diastolic = terminology.code("systolic_bp"), terminology.code("diastolic_bp")
    pressure = [key == BLOOD_PRESSURE for key in range(len(codes))]
    # Per key: what opens the second identifier (blood pressure only) ...
    second_identifier = [
        f'"}},{{"system":"{measurement_system}","value":"' if bp else None for bp in pressure
    ]
    # ... what lies between the identifiers and the subject's id ...
    heads = [
        f'"}}],"status":"final","category":[{{"coding":[{category}]}}],"code":{_concept(code)},'
        '"subject":{"reference":"Patient/'
        for category, code in zip(categories, codes, strict=True)
    ]
    # ... what opens the (first) value ...
    openings = [
        '","component":[{"code":' + _concept(systolic) + ',"valueQuantity":{"value":'
        if bp
        else '","valueQuantity":{"value":'
        for bp in pressure
    ]
    # ... what follows it (for blood pressure, up to the diastolic value) ...
    units = [
        f'{_units(systolic)}}},{{"code":{_concept(diastolic)},"valueQuantity":{{"value":'
        if bp
        else f"{_units(code)}}}{end}"
        for bp, code in zip(pressure, codes, strict=True)
    ]
    # ... and what closes a blood pressure after its diastolic value.
    closings = [f"{_units(diastolic)}}}]}}{end}" if bp else None for bp in pressure]
    key = pa.array(observations.key)
    others = observations.key != BLOOD_PRESSURE
    return _join(
        [
            '{"resourceType":"Observation","id":"',
            _ids(observations.uuid),
            _meta_and_identifier(config, measurement_system),
            _text(observations.measurement_id),
            pa.array(second_identifier, pa.string()).take(key),
            _text(observations.second_measurement_id, null=others),
            pa.array(heads, pa.string()).take(key),
            *_subject(batch, observations.person_index)[1:],
            *_encounter(batch, observations.visit_index),
            *_visit_practitioner(batch, observations.visit_index, ',"performer":[...]'),
            ',"effectiveDateTime":"',
            _text(observations.date),
            pa.array(openings, pa.string()).take(key),
            _text(observations.value),
            pa.array(units, pa.string()).take(key),
            _text(observations.second_value, null=others),
            pa.array(closings, pa.string()).take(key),
        ],
        skip_nulls=True,
    )


def render_medication_requests(
    batch: PeopleBatch, config: GeneratorConfig, end: str = ""
) -> pa.Array:
    """One FHIR R4 MedicationRequest per prescription, with the condition it treats."""
    drugs = batch.drugs
    codes = [terminology.code(key) for key in batch.drug_keys]
    reference_day = np.datetime64(config.reference_date, "D")
    status = np.where(drugs.end >= reference_day, 1, 0)
    return _join(
        [
            '{"resourceType":"MedicationRequest","id":"',
            _ids(drugs.uuid),
            _meta_and_identifier(config, omop_id_system("drug_exposure")),
            _text(drugs.drug_exposure_id),
            '"}],"status":"',
            _pick(["completed", "active"], status),
            '","intent":"order","medicationCodeableConcept":',
            _pick([_concept(code) for code in codes], drugs.drug),
            *_subject(batch, drugs.person_index),
            *_encounter(batch, drugs.visit_index),
            *_visit_practitioner(batch, drugs.visit_index, ',"requester":...'),
            ',"authoredOn":"',
            _text(drugs.start),
            '","reasonReference":[{"reference":"Condition/',
            _ids(batch.conditions.uuid[drugs.condition_row]),
            '"}],"dispenseRequest":{"validityPeriod":{"start":"',
            _text(drugs.start),
            '","end":"',
            _text(drugs.end),
            f'"}},"numberOfRepeatsAllowed":{REFILLS},"expectedSupplyDuration":'
            f'{{"value":{DAYS_SUPPLY},"unit":"days","system":"{terminology.UCUM}",'
            f'"code":"d"}}}}}}{end}',
        ]
    )


def render_procedures(batch: PeopleBatch, config: GeneratorConfig, end: str = "") -> pa.Array:
    """One FHIR R4 Procedure per procedure done at a visit."""
    procedures = batch.procedures
    codes = [terminology.code(key) for key in batch.procedure_keys]
    return _join(
        [
            '{"resourceType":"Procedure","id":"',
            _ids(procedures.uuid),
            _meta_and_identifier(config, omop_id_system("procedure_occurrence")),
            _text(procedures.procedure_occurrence_id),
            '"}],"status":"completed","code":',
            _pick([_concept(code) for code in codes], procedures.procedure),
            *_subject(batch, procedures.person_index),
            *_encounter(batch, procedures.visit_index),
            *_visit_practitioner(batch, procedures.visit_index, ',"performer":[{"actor":...}]'),
            ',"performedDateTime":"',
            _text(procedures.date),
            '"}' + end,
        ]
    )


# --- resources that describe the synthetic world, not a batch of people -----------------------


def _lines(resources: list[dict[str, object]], end: str) -> pa.Array:
    return pa.array([_json(resource) + end for resource in resources], pa.string())


def render_organizations(config: GeneratorConfig, end: str = "") -> pa.Array:
    """One Organization per care site (a few hundred at most: built as dicts, not joined)."""
    states = us_states()
    sites = world.care_sites()
    return _lines(
        [
            {
                "resourceType": "Organization",
                "id": f"{ORGANIZATION_ID_PREFIX}{site_id}",
                "meta": {"lastUpdated": last_updated(config)},
                "identifier": [{"system": omop_id_system("care_site"), "value": str(site_id)}],
                "active": True,
                "type": [
                    {
                        "coding": [
                            {
                                "system": ORGANIZATION_TYPE_SYSTEM,
                                "code": "prov",
                                "display": "Healthcare Provider",
                            }
                        ]
                    }
                ],
                "name": str(name),
                "address": [
                    {
                        "city": states[state].city,
                        "state": states[state].abbreviation,
                        "country": "US",
                    }
                ],
            }
            for site_id, name, state in zip(
                sites.care_site_id, sites.name, sites.state_index, strict=True
            )
        ],
        end,
    )


def render_practitioners(config: GeneratorConfig, end: str = "") -> pa.Array:
    """One Practitioner per provider; the birth date is a year, as OMOP records it."""
    providers = world.draw_providers(config)
    return _lines(
        [
            {
                "resourceType": "Practitioner",
                "id": f"{PRACTITIONER_ID_PREFIX}{provider_id}",
                "meta": {"lastUpdated": last_updated(config)},
                "identifier": [{"system": omop_id_system("provider"), "value": str(provider_id)}],
                "active": True,
                "name": [{"family": str(family), "given": [str(given)], "prefix": ["Dr."]}],
                "gender": str(SEX_CODES[int(is_male)]),
                "birthDate": str(year),
            }
            for provider_id, given, family, is_male, year in zip(
                providers.provider_id,
                providers.given_name,
                providers.family_name,
                providers.is_male,
                providers.year_of_birth,
                strict=True,
            )
        ],
        end,
    )
