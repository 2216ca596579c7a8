"""The latent synthetic population: one seeded, vectorized draw that every rendering reads.

A population is drawn in batches of people. Each batch is a set of numpy columns (one array per
attribute), drawn with a random stream derived from (seed, batch index) alone, so a batch can be
rebuilt without drawing the ones before it and the same seed always gives the same people.
The FHIR and OMOP renderers never draw random numbers themselves: they only format these columns,
which is what makes the two renderings describe the same people.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from faker.providers.person.en_US import Provider as _UsNames

from generators.config import GeneratorConfig
from generators.geography import us_states

# Share of the US population in each five-year age band, 0-4 .. 95-99 (2020 census, rounded).
_AGE_BAND_WEIGHTS = np.array(
    [5.7, 6.0, 6.3, 6.5, 6.6, 6.8, 6.9, 6.7, 6.4, 6.0,
     6.2, 6.3, 6.4, 5.6, 4.7, 3.4, 2.2, 1.3, 0.6, 0.2],
)  # fmt: skip

GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"
CDC_RACE_ETHNICITY_SYSTEM = "urn:oid:2.16.840.1.113883.6.238"

# CDC race codes (urn:oid:2.16.840.1.113883.6.238) with approximate US shares; "2131-1" (Other
# Race) has no standard OMOP race concept and maps to concept 0, as real data often does.
RACE_CODES = np.array(["2106-3", "2054-5", "2028-9", "1002-5", "2076-8", "2131-1"])
RACE_DISPLAYS = np.array(
    [
        "White",
        "Black or African American",
        "Asian",
        "American Indian or Alaska Native",
        "Native Hawaiian or Other Pacific Islander",
        "Other Race",
    ]
)
_RACE_WEIGHTS = np.array([0.716, 0.126, 0.060, 0.011, 0.002, 0.085])
ETHNICITY_CODES = np.array(["2135-2", "2186-5"])
ETHNICITY_DISPLAYS = np.array(["Hispanic or Latino", "Not Hispanic or Latino"])
_HISPANIC_SHARE = 0.187

SEX_CODES = np.array(["female", "male"])
_MALE_SHARE = 0.494


@dataclass(frozen=True)
class PeopleBatch:
    """A batch of people, one numpy array per attribute, all of the same length.

    Index arrays (`race_index`, `state_index`, ...) point into the module's code tables, so
    renderers turn them into codes or strings with one vectorized take.
    """

    person_id: npt.NDArray[np.int64]
    patient_uuid: npt.NDArray[np.str_]
    is_male: npt.NDArray[np.bool_]
    birth_date: npt.NDArray[np.datetime64]
    race_index: npt.NDArray[np.int64]
    is_hispanic: npt.NDArray[np.bool_]
    given_name: npt.NDArray[np.str_]
    family_name: npt.NDArray[np.str_]
    state_index: npt.NDArray[np.int64]
    postal_code: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.person_id)


@cache
def _name_tables() -> dict[str, tuple[npt.NDArray[np.str_], npt.NDArray[np.float64]]]:
    tables = {}
    for key, weighted in (
        ("male", _UsNames.first_names_male),
        ("female", _UsNames.first_names_female),
        ("family", _UsNames.last_names),
    ):
        names = np.array(list(weighted.keys()))
        weights = np.array(list(weighted.values()), dtype=np.float64)
        tables[key] = (names, weights / weights.sum())
    return tables


def _draw_names(rng: np.random.Generator, table: str, size: int) -> npt.NDArray[np.str_]:
    names, weights = _name_tables()[table]
    return names[rng.choice(len(names), size=size, p=weights)]


def _draw_uuids(rng: np.random.Generator, size: int) -> npt.NDArray[np.str_]:
    """Random (version 4) UUIDs from the seeded stream, so resource ids are reproducible."""
    raw = rng.integers(0, 256, size=(size, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = raw.tobytes().hex()
    return np.array(
        [
            f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
            for h in (hexed[start : start + 32] for start in range(0, len(hexed), 32))
        ]
    )


def draw_batch(config: GeneratorConfig, batch_index: int) -> PeopleBatch:
    """Draw one batch of people; depends only on the config and the batch index."""
    first = batch_index * config.batch_size
    size = min(config.batch_size, config.patients - first)
    if size <= 0:
        raise ValueError(f"batch {batch_index} is past the last of {config.patients} patients")
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, batch_index]))

    person_id = np.arange(first + 1, first + size + 1, dtype=np.int64)
    patient_uuid = _draw_uuids(rng, size)
    is_male = rng.random(size) < _MALE_SHARE

    band = rng.choice(
        len(_AGE_BAND_WEIGHTS), size=size, p=_AGE_BAND_WEIGHTS / _AGE_BAND_WEIGHTS.sum()
    )
    age_days = ((band * 5 + rng.random(size) * 5) * 365.25).astype(np.int64)
    reference = np.datetime64(config.reference_date, "D")
    birth_date = reference - age_days.astype("timedelta64[D]")

    race_index = rng.choice(len(RACE_CODES), size=size, p=_RACE_WEIGHTS / _RACE_WEIGHTS.sum())
    is_hispanic = rng.random(size) < _HISPANIC_SHARE

    given_name = np.where(is_male, _draw_names(rng, "male", size), _draw_names(rng, "female", size))
    family_name = _draw_names(rng, "family", size)

    states = us_states()
    populations = np.array([state.population_thousands for state in states], dtype=np.float64)
    state_index = rng.choice(len(states), size=size, p=populations / populations.sum())
    zip_low = np.array([state.zip_low for state in states])[state_index]
    zip_high = np.array([state.zip_high for state in states])[state_index]
    postal_code = zip_low + (rng.random(size) * (zip_high - zip_low + 1)).astype(np.int64)

    return PeopleBatch(
        person_id=person_id,
        patient_uuid=patient_uuid,
        is_male=is_male,
        birth_date=birth_date,
        race_index=race_index,
        is_hispanic=is_hispanic,
        given_name=given_name,
        family_name=family_name,
        state_index=state_index,
        postal_code=postal_code,
    )


def draw_population(config: GeneratorConfig) -> Iterator[PeopleBatch]:
    """All batches of the population, in order."""
    batches = -(-config.patients // config.batch_size)
    for batch_index in range(batches):
        yield draw_batch(config, batch_index)
