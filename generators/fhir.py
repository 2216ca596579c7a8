"""Render a population batch as FHIR R4 resources, one JSON document per line (Bulk Data NDJSON).

Rendering is pure formatting of the batch's columns: it draws nothing, so the FHIR and OMOP
renderings of a batch always describe the same people. JSON is assembled from pre-escaped
fragments rather than through `json.dumps` per resource, which keeps rendering well above
10,000 patients a second; `tests/generators/test_fhir.py` validates the output against the
FHIR R4 models and parses every line back with `json.loads`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np

from generators.config import GeneratorConfig
from generators.geography import us_states
from generators.population import (
    CDC_RACE_ETHNICITY_SYSTEM,
    ETHNICITY_CODES,
    ETHNICITY_DISPLAYS,
    RACE_CODES,
    RACE_DISPLAYS,
    SEX_CODES,
    PeopleBatch,
)

# The identifier system under which a Patient carries its OMOP person_id: the link that lets
# cross-model checks prove both renderings describe the same person.
PERSON_ID_SYSTEM = "http://healthlake.example.org/fhir/sid/omop-person-id"
US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"


def _quoted(values: Iterable[str]) -> np.ndarray:
    """JSON string literals (quotes and escapes included) for an array of strings."""
    return np.array([json.dumps(str(value)) for value in values], dtype=object)


def _omb_extension(url: str, code: str, display: str) -> str:
    coding = json.dumps(
        {"system": CDC_RACE_ETHNICITY_SYSTEM, "code": code, "display": display},
        separators=(",", ":"),
    )
    text = json.dumps(display)
    return (
        f'{{"url":"{url}","extension":[{{"url":"ombCategory","valueCoding":{coding}}},'
        f'{{"url":"text","valueString":{text}}}]}}'
    )


def _race_fragments() -> np.ndarray:
    return np.array(
        [
            _omb_extension(US_CORE_RACE, code, display)
            for code, display in zip(RACE_CODES, RACE_DISPLAYS, strict=True)
        ],
        dtype=object,
    )


def _ethnicity_fragments() -> np.ndarray:
    # Index 0 is "not Hispanic" so that `is_hispanic` (False/True) indexes it directly.
    return np.array(
        [
            _omb_extension(US_CORE_ETHNICITY, ETHNICITY_CODES[1], ETHNICITY_DISPLAYS[1]),
            _omb_extension(US_CORE_ETHNICITY, ETHNICITY_CODES[0], ETHNICITY_DISPLAYS[0]),
        ],
        dtype=object,
    )


def last_updated(config: GeneratorConfig) -> str:
    """The `meta.lastUpdated` instant of every generated resource: the reference date, UTC."""
    return f"{config.reference_date.isoformat()}T00:00:00Z"


def render_patients(batch: PeopleBatch, config: GeneratorConfig) -> list[str]:
    """One FHIR R4 Patient per person, as NDJSON lines (without the newline)."""
    states = us_states()
    state_address = np.array(
        [f'"city":{json.dumps(state.city)},"state":"{state.abbreviation}"' for state in states],
        dtype=object,
    )[batch.state_index]
    race = _race_fragments()[batch.race_index]
    ethnicity = _ethnicity_fragments()[batch.is_hispanic.astype(np.int64)]
    gender = SEX_CODES[batch.is_male.astype(np.int64)]
    given = _quoted(batch.given_name)
    family = _quoted(batch.family_name)
    birth = batch.birth_date.astype(str)
    meta = f'{{"lastUpdated":"{last_updated(config)}"}}'
    return [
        f'{{"resourceType":"Patient","id":"{uuid}","meta":{meta},'
        f'"extension":[{race_ext},{ethnicity_ext}],'
        f'"identifier":[{{"system":"{PERSON_ID_SYSTEM}","value":"{person_id}"}}],'
        f'"name":[{{"use":"official","family":{family_name},"given":[{given_name}]}}],'
        # 555-0100..555-0199 are the numbers reserved for fiction.
        f'"telecom":[{{"system":"phone","value":"555-01{person_id % 100:02d}","use":"home"}}],'
        f'"gender":"{sex}","birthDate":"{birth_date}",'
        f'"address":[{{"use":"home",{where},"postalCode":"{zip_code:05d}","country":"US"}}]}}'
        for (
            uuid,
            race_ext,
            ethnicity_ext,
            person_id,
            family_name,
            given_name,
            sex,
            birth_date,
            where,
            zip_code,
        ) in zip(
            batch.patient_uuid,
            race,
            ethnicity,
            batch.person_id.tolist(),
            family,
            given,
            gender,
            birth,
            state_address,
            batch.postal_code.tolist(),
            strict=True,
        )
    ]
