"""The latent synthetic population: one seeded, vectorized draw that every rendering reads.

A population is drawn in batches of people. Each batch is a set of numpy columns (one array per
attribute), drawn with a random stream derived from (seed, batch index) alone, so the people of a
batch never depend on the batches before it and the same seed always gives the same people. Only
the integer OMOP ids depend on earlier batches (they are dense, counted on from the previous
batch), which is why `draw_population` carries `IdOffsets` from batch to batch.

Per batch the model draws, all as whole-array operations (no loop over people):
demographics -> an observation period -> chronic conditions (age/sex/risk-factor dependent
logistic prevalence, with an onset date) -> death (Gompertz hazard raised per condition) ->
visits (Poisson, rate rising with age and morbidity) -> diagnoses (at the first visit on or after
onset) -> vitals and labs at visits (responding to the conditions present) -> medications and
procedures at the diagnosis visit. Every event lies inside the person's observation period,
which itself lies between birth and death (or the reference date).

The FHIR and OMOP renderers never draw random numbers: they only format these columns, which is
what makes the two renderings describe the same people and events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import cache

import numpy as np
import numpy.typing as npt
from faker.providers.person.en_US import Provider as _UsNames

from generators import terminology
from generators.config import ClinicalModel, GeneratorConfig
from generators.exceptions import GeneratorError
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

# Visit kinds, indexing VisitTable.kind: the terminology keys of the encounter classes.
VISIT_KINDS = ("outpatient", "emergency", "inpatient")
OUTPATIENT, EMERGENCY, INPATIENT = range(3)

# Facilities: every state has one clinic (outpatient visits) and one hospital (emergency and
# inpatient), each with the same number of providers. care_site_id = 2 * state_index + 1 (clinic)
# or + 2 (hospital); provider ids are numbered care site by care site.
PROVIDERS_PER_CARE_SITE = 4

# A chronic prescription: 90 days supplied with 3 refills.
DAYS_SUPPLY = 90
REFILLS = 3

# The FHIR Observations the model draws, in the order they are drawn at a visit. Blood pressure
# is one Observation (two components) and two OMOP measurement rows; body weight is derived from
# BMI and height rather than drawn on its own.
OBSERVATION_KEYS = (
    "blood_pressure",
    "heart_rate",
    "body_height",
    "body_weight",
    "bmi",
    "hba1c",
    "total_cholesterol",
    "ldl_cholesterol",
    "creatinine",
    "fev1_fvc",
)
BLOOD_PRESSURE = OBSERVATION_KEYS.index("blood_pressure")
# Decimal places a value is recorded with (the precision a device or lab reports); blood
# pressure is recorded in whole mm[Hg].
_DECIMALS = {
    "heart_rate": 0,
    "body_height": 1,
    "body_weight": 1,
    "bmi": 1,
    "hba1c": 1,
    "total_cholesterol": 0,
    "ldl_cholesterol": 0,
    "creatinine": 2,
    "fev1_fvc": 0,
}

_DAYS_PER_YEAR = 365.25
# Separates people in sort keys built as person_index * _KEY_STRIDE + day number.
_KEY_STRIDE = np.int64(1 << 32)
_INT32_MAX = 2**31 - 1
# A day after every date the model uses: "never" for onsets and diagnoses.
_NEVER = np.int64(np.iinfo(np.int64).max // 4)


@dataclass(frozen=True)
class IdOffsets:
    """The last integer id used in each OMOP table before a batch (ids are dense, from 1)."""

    person: int = 0
    visit_occurrence: int = 0
    condition_occurrence: int = 0
    observation: int = 0
    measurement: int = 0
    drug_exposure: int = 0
    procedure_occurrence: int = 0


@dataclass(frozen=True)
class VisitTable:
    """Encounters, sorted by person then start date. `person_index` indexes the batch."""

    visit_id: npt.NDArray[np.int64]
    uuid: npt.NDArray[np.bytes_]
    person_index: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int64]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]
    care_site_id: npt.NDArray[np.int64]
    provider_id: npt.NDArray[np.int64]


@dataclass(frozen=True)
class ConditionTable:
    """Diagnoses, each recorded at a visit. `condition` indexes `condition_keys`.

    `omop_id` counts within the OMOP table the condition's concept domain routes it to
    (condition_occurrence, or observation for obesity).
    """

    omop_id: npt.NDArray[np.int64]
    uuid: npt.NDArray[np.bytes_]
    person_index: npt.NDArray[np.int64]
    visit_index: npt.NDArray[np.int64]
    condition: npt.NDArray[np.int64]
    onset: npt.NDArray[np.datetime64]
    recorded: npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class ObservationTable:
    """Vitals and labs, one row per FHIR Observation. `key` indexes OBSERVATION_KEYS.

    Blood pressure rows carry the systolic value and id in `value`/`measurement_id` and the
    diastolic in `second_value`/`second_measurement_id` (-1 on other rows).
    """

    measurement_id: npt.NDArray[np.int64]
    second_measurement_id: npt.NDArray[np.int64]
    uuid: npt.NDArray[np.bytes_]
    person_index: npt.NDArray[np.int64]
    visit_index: npt.NDArray[np.int64]
    key: npt.NDArray[np.int64]
    date: npt.NDArray[np.datetime64]
    value: npt.NDArray[np.float64]
    second_value: npt.NDArray[np.float64]


@dataclass(frozen=True)
class DrugTable:
    """Prescriptions. `drug` indexes `drug_keys`; `condition_row` indexes the ConditionTable."""

    drug_exposure_id: npt.NDArray[np.int64]
    uuid: npt.NDArray[np.bytes_]
    person_index: npt.NDArray[np.int64]
    visit_index: npt.NDArray[np.int64]
    condition_row: npt.NDArray[np.int64]
    drug: npt.NDArray[np.int64]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class ProcedureTable:
    """Procedures, done on the day of a visit. `procedure` indexes `procedure_keys`."""

    procedure_occurrence_id: npt.NDArray[np.int64]
    uuid: npt.NDArray[np.bytes_]
    person_index: npt.NDArray[np.int64]
    visit_index: npt.NDArray[np.int64]
    procedure: npt.NDArray[np.int64]
    date: npt.NDArray[np.datetime64]


class NamedByIndex:
    """People (patients, providers) whose names are indexes into `name_list()`: renderers take
    pre-encoded names by index; these give the names themselves."""

    given_name_index: npt.NDArray[np.int64]
    family_name_index: npt.NDArray[np.int64]

    @property
    def given_name(self) -> npt.NDArray[np.str_]:
        return name_list()[self.given_name_index]

    @property
    def family_name(self) -> npt.NDArray[np.str_]:
        return name_list()[self.family_name_index]


@dataclass(frozen=True)
class People(NamedByIndex):
    """A batch of people: who they are, their observation period and death, one numpy array per
    attribute, all of the same length. No events: `draw_people` draws only this much.

    Index arrays (`race_index`, `state_index`, ...) point into the module's code tables, so
    renderers turn them into codes or strings with one vectorized take. `death_date` is NaT for
    the living; the observation period runs from `observation_start` to `observation_end`
    (the death date or the reference date).
    """

    person_id: npt.NDArray[np.int64]
    patient_uuid: npt.NDArray[np.str_]
    is_male: npt.NDArray[np.bool_]
    birth_date: npt.NDArray[np.datetime64]
    race_index: npt.NDArray[np.int64]
    is_hispanic: npt.NDArray[np.bool_]
    # Indexes into `name_list()`.
    given_name_index: npt.NDArray[np.int64]
    family_name_index: npt.NDArray[np.int64]
    state_index: npt.NDArray[np.int64]
    postal_code: npt.NDArray[np.int64]
    death_date: npt.NDArray[np.datetime64]
    observation_start: npt.NDArray[np.datetime64]
    observation_end: npt.NDArray[np.datetime64]

    def __len__(self) -> int:
        return len(self.person_id)

    @property
    def is_dead(self) -> npt.NDArray[np.bool_]:
        """Whether each person died before the reference date."""
        return ~np.isnat(self.death_date)


@dataclass(frozen=True)
class PeopleBatch(People):
    """A batch of people and their clinical histories: the events every rendering formats."""

    condition_keys: tuple[str, ...]
    drug_keys: tuple[str, ...]
    procedure_keys: tuple[str, ...]
    visits: VisitTable
    conditions: ConditionTable
    observations: ObservationTable
    drugs: DrugTable
    procedures: ProcedureTable
    next_ids: IdOffsets


@dataclass(frozen=True)
class _Latent:
    """What the event draws need of a batch's people, in day numbers (days since 1970-01-01)."""

    birth_day: npt.NDArray[np.int64]
    observation_start: npt.NDArray[np.int64]
    observation_end: npt.NDArray[np.int64]
    n_conditions: npt.NDArray[np.int64]
    # people x conditions: the day each condition began, _NEVER for conditions they do not have.
    onset_day: npt.NDArray[np.int64]
    has_condition: npt.NDArray[np.bool_]


# The name tables, in the order they are laid end to end in `name_list()`.
NAME_TABLES = ("male", "female", "family")


@cache
def _name_tables() -> dict[str, tuple[int, npt.NDArray[np.float64]]]:
    """Per name table: where it starts in `name_list()`, and its names' draw probabilities."""
    tables = {}
    start = 0
    for key, weighted in zip(
        NAME_TABLES,
        (_UsNames.first_names_male, _UsNames.first_names_female, _UsNames.last_names),
        strict=True,
    ):
        weights = np.array(list(weighted.values()), dtype=np.float64)
        tables[key] = (start, weights / weights.sum())
        start += len(weights)
    return tables


@cache
def name_list() -> npt.NDArray[np.str_]:
    """Every name the model draws (Faker's en_US tables: male, female, family, end to end):
    people carry indexes into it, so renderers encode each name once, not once per person."""
    return np.array(
        [
            *_UsNames.first_names_male.keys(),
            *_UsNames.first_names_female.keys(),
            *_UsNames.last_names.keys(),
        ]
    )


def draw_name_indexes(rng: np.random.Generator, table: str, size: int) -> npt.NDArray[np.int64]:
    """Names drawn by US frequency from one of NAME_TABLES, as indexes into `name_list()`."""
    start, weights = _name_tables()[table]
    return start + rng.choice(len(weights), size=size, p=weights)


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# Where the 32 hex digits of a UUID go in its 36-character text form (dashes at 8, 13, 18, 23).
_UUID_DIGIT_COLUMNS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def _draw_uuids(rng: np.random.Generator, size: int) -> npt.NDArray[np.bytes_]:
    """Random (version 4) UUIDs from the seeded stream, so resource ids are reproducible.

    Returned as 36-byte ASCII strings: renderers hand the buffer to Arrow without a copy per id.
    """
    raw = rng.integers(0, 256, size=(size, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.empty((size, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX_DIGITS[raw >> 4]
    digits[:, 1::2] = _HEX_DIGITS[raw & 0x0F]
    text = np.full((size, 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_DIGIT_COLUMNS] = digits
    return np.ascontiguousarray(text).view("S36").ravel()


def _days(dates: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
    return dates.astype("datetime64[D]").astype(np.int64)


def _as_dates(days: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    return days.astype("datetime64[D]")


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _dense_ids(first: int, count: int, table: str) -> npt.NDArray[np.int64]:
    if first + count > _INT32_MAX:
        raise GeneratorError(
            f"OMOP {table} ids would pass 2^31-1, the CDM integer limit; generate fewer patients"
        )
    return np.arange(first + 1, first + count + 1, dtype=np.int64)


def _batch_bounds(config: GeneratorConfig, batch_index: int) -> tuple[int, int]:
    """The index of the batch's first person and the batch's size."""
    first = batch_index * config.batch_size
    size = min(config.batch_size, config.patients - first)
    if size <= 0:
        raise ValueError(f"batch {batch_index} is past the last of {config.patients} patients")
    return first, size


def _batch_rng(config: GeneratorConfig, batch_index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([config.seed, batch_index]))


def _draw_people(
    rng: np.random.Generator, config: GeneratorConfig, first: int, size: int, first_person: int
) -> tuple[People, _Latent]:
    """The people of a batch, drawn first from the batch's stream (events are drawn after them
    from the same stream, so drawing only the people gives exactly the same people)."""
    model = config.model
    _dense_ids(first, size, "person")  # fails early if person ids would overflow
    patient_uuid = _draw_uuids(rng, size).astype("U36")
    is_male = rng.random(size) < _MALE_SHARE

    band = rng.choice(
        len(_AGE_BAND_WEIGHTS), size=size, p=_AGE_BAND_WEIGHTS / _AGE_BAND_WEIGHTS.sum()
    )
    age_days = ((band * 5 + rng.random(size) * 5) * _DAYS_PER_YEAR).astype(np.int64)
    reference_day = np.int64(np.datetime64(config.reference_date, "D").astype(np.int64))
    birth_day = reference_day - age_days

    race_index = rng.choice(len(RACE_CODES), size=size, p=_RACE_WEIGHTS / _RACE_WEIGHTS.sum())
    is_hispanic = rng.random(size) < _HISPANIC_SHARE

    given_name_index = np.where(
        is_male, draw_name_indexes(rng, "male", size), draw_name_indexes(rng, "female", size)
    )
    family_name_index = draw_name_indexes(rng, "family", size)

    states = us_states()
    populations = np.array([state.population_thousands for state in states], dtype=np.float64)
    state_index = rng.choice(len(states), size=size, p=populations / populations.sum())
    zip_low = np.array([state.zip_low for state in states])[state_index]
    zip_high = np.array([state.zip_high for state in states])[state_index]
    postal_code = zip_low + (rng.random(size) * (zip_high - zip_low + 1)).astype(np.int64)

    # Observation period: most people are in the EHR for the whole history window; some join
    # part-way. Nobody is observed before birth.
    window_start = reference_day - np.int64(model.history_years * _DAYS_PER_YEAR)
    joins_late = rng.random(size) < 0.3
    join_day = window_start + (rng.random(size) * (reference_day - window_start)).astype(np.int64)
    observation_start = np.maximum(birth_day, np.where(joins_late, join_day, window_start))

    # Chronic conditions are part of the person: death depends on them.
    age_years = age_days / _DAYS_PER_YEAR
    has_condition, onset_age = _draw_conditions(rng, model, age_years, is_male)
    n_conditions = has_condition.sum(axis=1)

    death_day = _draw_deaths(rng, model, age_years, n_conditions, observation_start, reference_day)
    is_dead = death_day >= 0
    observation_end = np.where(is_dead, death_day, reference_day)

    # Onset dates: at onset_age, but never after the end of the record (death).
    onset_day = birth_day[:, None] + (onset_age * _DAYS_PER_YEAR).astype(np.int64)
    onset_day = np.minimum(onset_day, observation_end[:, None])
    # Conditions a person does not have never begin.
    onset_day = np.where(has_condition, onset_day, _NEVER)

    people = People(
        person_id=first_person + np.arange(1, size + 1, dtype=np.int64),
        patient_uuid=patient_uuid,
        is_male=is_male,
        birth_date=_as_dates(birth_day),
        race_index=race_index,
        is_hispanic=is_hispanic,
        given_name_index=given_name_index,
        family_name_index=family_name_index,
        state_index=state_index,
        postal_code=postal_code,
        death_date=np.where(is_dead, _as_dates(death_day), np.datetime64("NaT", "D")),
        observation_start=_as_dates(observation_start),
        observation_end=_as_dates(observation_end),
    )
    latent = _Latent(
        birth_day=birth_day,
        observation_start=observation_start,
        observation_end=observation_end,
        n_conditions=n_conditions,
        onset_day=onset_day,
        has_condition=has_condition,
    )
    return people, latent


def draw_batch(
    config: GeneratorConfig, batch_index: int, offsets: IdOffsets | None = None
) -> PeopleBatch:
    """Draw one batch of people and their histories.

    The people and events depend only on the config and the batch index; `offsets` (the ids
    used by earlier batches, which `draw_population` carries) only numbers them. Without it,
    person ids still follow from the batch index and event ids start at 1.
    """
    first, size = _batch_bounds(config, batch_index)
    if offsets is None:
        offsets = IdOffsets(person=first)
    rng = _batch_rng(config, batch_index)
    model = config.model
    people, latent = _draw_people(rng, config, first, size, offsets.person)

    visits = _draw_visits(
        rng, model, offsets, latent.birth_day, latent.observation_start, latent.observation_end,
        latent.n_conditions, people.state_index,
    )  # fmt: skip
    condition_keys = tuple(model.conditions)
    conditions, diagnosis_day = _diagnose(
        rng, offsets, condition_keys, latent.has_condition, latent.onset_day,
        latent.observation_start, visits,
    )  # fmt: skip
    observations = _draw_observations(
        rng, model, offsets, condition_keys, visits, latent.birth_day, people.is_male,
        latent.onset_day, diagnosis_day,
    )  # fmt: skip
    drug_keys = tuple(c.key for c in terminology.of_kind("drug"))
    procedure_keys = tuple(c.key for c in terminology.of_kind("procedure"))
    drugs = _prescribe(rng, model, offsets, conditions, visits, latent.observation_end, drug_keys)
    procedures = _draw_procedures(rng, model, offsets, conditions, visits, procedure_keys)

    to_observation = int(
        np.count_nonzero(_routes_to(condition_keys, conditions.condition, "observation"))
    )
    next_ids = IdOffsets(
        person=offsets.person + size,
        visit_occurrence=offsets.visit_occurrence + len(visits.visit_id),
        condition_occurrence=offsets.condition_occurrence
        + len(conditions.condition)
        - to_observation,
        observation=offsets.observation + to_observation,
        measurement=offsets.measurement
        + len(observations.measurement_id)
        + int(np.count_nonzero(observations.second_measurement_id >= 0)),
        drug_exposure=offsets.drug_exposure + len(drugs.drug_exposure_id),
        procedure_occurrence=offsets.procedure_occurrence + len(procedures.procedure_occurrence_id),
    )
    return PeopleBatch(
        **{f.name: getattr(people, f.name) for f in fields(People)},
        condition_keys=condition_keys,
        drug_keys=drug_keys,
        procedure_keys=procedure_keys,
        visits=visits,
        conditions=conditions,
        observations=observations,
        drugs=drugs,
        procedures=procedures,
        next_ids=next_ids,
    )


def _routes_to(
    condition_keys: tuple[str, ...], condition: npt.NDArray[np.int64], table: str
) -> npt.NDArray[np.bool_]:
    """Which condition rows land in OMOP `table` (by their concept's domain)."""
    routed = np.array(
        [terminology.code(key).omop_table == table for key in condition_keys], dtype=bool
    )
    return routed[condition] if len(routed) else np.zeros(len(condition), dtype=bool)


def _draw_conditions(
    rng: np.random.Generator,
    model: ClinicalModel,
    age_years: npt.NDArray[np.float64],
    is_male: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Who has each chronic condition (people x conditions) and at what age it began."""
    size = len(age_years)
    keys = list(model.conditions)
    has = np.zeros((size, len(keys)), dtype=bool)
    onset_age = np.zeros((size, len(keys)), dtype=np.float64)
    for column, (name, condition) in enumerate(model.conditions.items()):
        log_odds = (
            _logit(condition.prevalence_at_60)
            + np.log(condition.odds_ratio_per_decade) * (age_years - 60) / 10
            + np.log(condition.male_odds_ratio) * is_male
        )
        for factor, odds_ratio in condition.risk_factors.items():
            log_odds = log_odds + np.log(odds_ratio) * has[:, keys.index(factor)]
        eligible = age_years >= condition.min_onset_age
        has[:, column] = eligible & (rng.random(size) < 1 / (1 + np.exp(-log_odds)))
        span = np.maximum(age_years - condition.min_onset_age, 0)
        onset_age[:, column] = condition.min_onset_age + rng.random(size) * span
        del name
    return has, onset_age


def _draw_deaths(
    rng: np.random.Generator,
    model: ClinicalModel,
    age_years: npt.NDArray[np.float64],
    n_conditions: npt.NDArray[np.int64],
    observation_start: npt.NDArray[np.int64],
    reference_day: np.int64,
) -> npt.NDArray[np.int64]:
    """The day each person died within their observation period, or -1 for the living."""
    mortality = model.mortality
    observed_years = (reference_day - observation_start) / _DAYS_PER_YEAR
    midpoint_age = age_years - observed_years / 2
    hazard = (
        mortality.annual_at_60
        * 2.0 ** ((midpoint_age - 60) / mortality.doubling_years)
        * mortality.hazard_ratio_per_condition**n_conditions
    )
    dies = rng.random(len(age_years)) < 1 - np.exp(-np.minimum(hazard, 1.0) * observed_years)
    day = observation_start + (rng.random(len(age_years)) * (reference_day - observation_start))
    return np.where(dies, day.astype(np.int64), -1)


def _draw_visits(
    rng: np.random.Generator,
    model: ClinicalModel,
    offsets: IdOffsets,
    birth_day: npt.NDArray[np.int64],
    observation_start: npt.NDArray[np.int64],
    observation_end: npt.NDArray[np.int64],
    n_conditions: npt.NDArray[np.int64],
    state_index: npt.NDArray[np.int64],
) -> VisitTable:
    params = model.visits
    observed_years = (observation_end - observation_start) / _DAYS_PER_YEAR
    midpoint_age = ((observation_start + observation_end) / 2 - birth_day) / _DAYS_PER_YEAR
    rate = (
        params.per_year_at_40
        * params.growth_per_decade ** ((midpoint_age - 40) / 10)
        * params.growth_per_condition**n_conditions
    )
    counts = rng.poisson(np.minimum(rate, params.max_per_year) * observed_years)
    person_index = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    span = (observation_end - observation_start + 1)[person_index]
    day = observation_start[person_index] + (rng.random(len(person_index)) * span).astype(np.int64)
    day = np.minimum(day, observation_end[person_index])
    # Sort by person then date; person_index is already grouped, so one key sort does it.
    order = np.argsort(person_index * _KEY_STRIDE + day, kind="stable")
    day = day[order]

    inpatient_share = np.minimum(
        params.inpatient_share * params.inpatient_growth_per_condition**n_conditions, 0.5
    )[person_index]
    draw = rng.random(len(day))
    kind = np.where(
        draw < inpatient_share,
        INPATIENT,
        np.where(draw < inpatient_share + params.emergency_share, EMERGENCY, OUTPATIENT),
    ).astype(np.int64)
    length = rng.integers(1, params.max_inpatient_days + 1, size=len(day))
    end = np.where(kind == INPATIENT, day + length, day)
    end = np.minimum(end, observation_end[person_index])

    care_site_id = 2 * state_index[person_index] + np.where(kind == OUTPATIENT, 1, 2)
    provider_id = (
        (care_site_id - 1) * PROVIDERS_PER_CARE_SITE
        + rng.integers(0, PROVIDERS_PER_CARE_SITE, size=len(day))
        + 1
    )
    return VisitTable(
        visit_id=_dense_ids(offsets.visit_occurrence, len(day), "visit_occurrence"),
        uuid=_draw_uuids(rng, len(day)),
        person_index=person_index,
        kind=kind,
        start=_as_dates(day),
        end=_as_dates(end),
        care_site_id=care_site_id,
        provider_id=provider_id,
    )


def _diagnose(
    rng: np.random.Generator,
    offsets: IdOffsets,
    condition_keys: tuple[str, ...],
    has_condition: npt.NDArray[np.bool_],
    onset_day: npt.NDArray[np.int64],
    observation_start: npt.NDArray[np.int64],
    visits: VisitTable,
) -> tuple[ConditionTable, npt.NDArray[np.int64]]:
    """Record each condition at the person's first visit on or after its onset.

    A condition that began before the record starts is recorded at the first visit of the
    record (as a new EHR meets an old diagnosis); one with no visit after onset stays
    undiagnosed. Returns the diagnoses and, per person and condition, the diagnosis day
    (a day after every visit if undiagnosed).
    """
    visit_day = _days(visits.start)
    visit_keys = visits.person_index * _KEY_STRIDE + visit_day
    person_index, condition = np.nonzero(has_condition)
    seen_from = np.maximum(onset_day[person_index, condition], observation_start[person_index])
    found = np.searchsorted(visit_keys, person_index * _KEY_STRIDE + seen_from)
    found_clipped = np.minimum(found, max(len(visit_keys) - 1, 0))
    diagnosed = (found < len(visit_keys)) & (
        visits.person_index[found_clipped] == person_index
        if len(visit_keys)
        else np.zeros(len(found), dtype=bool)
    )
    person_index, condition = person_index[diagnosed], condition[diagnosed]
    visit_index = found[diagnosed]
    # Rows in person, visit, condition order (np.nonzero gave person, condition order).
    order = np.lexsort((condition, visit_index))
    person_index, condition, visit_index = person_index[order], condition[order], visit_index[order]

    diagnosis_day = np.full(has_condition.shape, _NEVER, dtype=np.int64)
    diagnosis_day[person_index, condition] = visit_day[visit_index]

    to_observation = _routes_to(condition_keys, condition, "observation")
    omop_id = np.empty(len(condition), dtype=np.int64)
    omop_id[~to_observation] = _dense_ids(
        offsets.condition_occurrence, int(np.count_nonzero(~to_observation)), "condition_occurrence"
    )
    omop_id[to_observation] = _dense_ids(
        offsets.observation, int(np.count_nonzero(to_observation)), "observation"
    )
    recorded = visit_day[visit_index]
    table = ConditionTable(
        omop_id=omop_id,
        uuid=_draw_uuids(rng, len(condition)),
        person_index=person_index,
        visit_index=visit_index,
        condition=condition,
        onset=_as_dates(np.minimum(onset_day[person_index, condition], recorded)),
        recorded=_as_dates(recorded),
    )
    return table, diagnosis_day


def _measurement_values(
    rng: np.random.Generator,
    model: ClinicalModel,
    key: str,
    person_offset: npt.NDArray[np.float64],
    age: npt.NDArray[np.float64],
    is_male: npt.NDArray[np.bool_],
    active: npt.NDArray[np.bool_],
    condition_keys: tuple[str, ...],
) -> npt.NDArray[np.float64]:
    """Values of one lab or vital at every visit: the config's linear model plus noise."""
    params = model.measurements[key]
    value = (
        params.mean
        + params.per_decade * (age - 40) / 10
        + params.male_shift * is_male
        + params.person_sd * person_offset
        + params.visit_sd * rng.standard_normal(len(age))
    )
    for condition_name, shift in params.conditions.items():
        value = value + shift * active[:, condition_keys.index(condition_name)]
    if key == "body_height":
        # Children: a growth curve from ~50 cm at birth to the adult height at 18.
        growth = np.clip(0.3 + 0.7 * (age / 18) ** 0.75, 0.3, 1.0)
        value = value * np.where(age < 18, growth, 1.0)
    if key == "bmi":
        # Children are leaner; obesity (BMI 30+) is a diagnosis by definition in adults.
        value = np.where(age < 18, 15.5 + (value - 15.5) * np.clip(age / 18, 0.2, 1.0), value)
        if "obesity" in condition_keys:
            obese = active[:, condition_keys.index("obesity")] & (age >= 18)
            value = np.where(obese, np.maximum(value, 30.0), np.minimum(value, 29.9))
    return np.clip(value, params.minimum, params.maximum)


def _draw_observations(
    rng: np.random.Generator,
    model: ClinicalModel,
    offsets: IdOffsets,
    condition_keys: tuple[str, ...],
    visits: VisitTable,
    birth_day: npt.NDArray[np.int64],
    is_male: npt.NDArray[np.bool_],
    onset_day: npt.NDArray[np.int64],
    diagnosis_day: npt.NDArray[np.int64],
) -> ObservationTable:
    person = visits.person_index
    visit_day = _days(visits.start)
    age = (visit_day - birth_day[person]) / _DAYS_PER_YEAR
    male = is_male[person]
    # Conditions present (latent) and known (diagnosed) at each visit: values respond to the
    # former, which tests get ordered responds to the latter.
    active = onset_day[person] <= visit_day[:, None]
    known = diagnosis_day[person] <= visit_day[:, None]
    n_people = len(birth_day)

    drawn: dict[str, npt.NDArray[np.float64]] = {}
    ordered: dict[str, npt.NDArray[np.bool_]] = {}
    for measured, params in model.measurements.items():
        person_offset = rng.standard_normal(n_people)[person]
        drawn[measured] = _measurement_values(
            rng, model, measured, person_offset, age, male, active, condition_keys
        )
        share = np.full(len(person), params.ordered_share)
        for condition_name, with_share in params.ordered_share_with.items():
            has_it = known[:, condition_keys.index(condition_name)]
            share = np.where(has_it, np.maximum(share, with_share), share)
        ordered[measured] = rng.random(len(person)) < share

    nothing = np.zeros(len(person), dtype=bool)
    no_value = np.zeros(len(person))
    rows: list[tuple[int, npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]]
    rows = []
    for key_index, name in enumerate(OBSERVATION_KEYS):
        if name == "blood_pressure":
            if "systolic_bp" in drawn and "diastolic_bp" in drawn:
                systolic = drawn["systolic_bp"]
                # Diastolic below systolic by a plausible pulse pressure, whatever the draws.
                diastolic = np.minimum(drawn["diastolic_bp"], systolic - 15).astype(np.float64)
                rows.append(
                    (key_index, ordered["systolic_bp"], np.round(systolic), np.round(diastolic))
                )
        elif name == "body_weight":
            if "bmi" in drawn and "body_height" in drawn:
                weight = np.round(drawn["bmi"] * (drawn["body_height"] / 100) ** 2, 1)
                rows.append((key_index, ordered["bmi"], weight, no_value))
        elif name in drawn:
            rows.append(
                (key_index, ordered[name], np.round(drawn[name], _DECIMALS[name]), no_value)
            )
    if not rows:
        rows.append((0, nothing, no_value, no_value))

    visit_index = np.concatenate([np.flatnonzero(mask) for _, mask, _, _ in rows])
    key = np.concatenate([np.full(np.count_nonzero(mask), k) for k, mask, _, _ in rows])
    value = np.concatenate([v[mask] for _, mask, v, _ in rows])
    second = np.concatenate([s[mask] for _, mask, _, s in rows])
    order = np.lexsort((key, visit_index))
    visit_index, key, value, second = visit_index[order], key[order], value[order], second[order]

    is_pressure = key == BLOOD_PRESSURE
    # Blood pressure takes two consecutive measurement ids (systolic, diastolic).
    omop_rows = np.where(is_pressure, 2, 1)
    ends = np.cumsum(omop_rows)
    total = int(ends[-1]) if len(ends) else 0
    _dense_ids(offsets.measurement, total, "measurement")
    measurement_id = offsets.measurement + ends - omop_rows + 1
    second_id = np.where(is_pressure, measurement_id + 1, -1)
    return ObservationTable(
        measurement_id=measurement_id.astype(np.int64),
        second_measurement_id=second_id.astype(np.int64),
        uuid=_draw_uuids(rng, len(key)),
        person_index=person[visit_index],
        visit_index=visit_index,
        key=key.astype(np.int64),
        date=visits.start[visit_index],
        value=value,
        second_value=second,
    )


def _prescribe(
    rng: np.random.Generator,
    model: ClinicalModel,
    offsets: IdOffsets,
    conditions: ConditionTable,
    visits: VisitTable,
    observation_end: npt.NDArray[np.int64],
    drug_keys: tuple[str, ...],
) -> DrugTable:
    """One chronic prescription at the diagnosis visit for a share of each condition's patients."""
    condition_params = list(model.conditions.values())
    treated_share = np.array([c.treated_share for c in condition_params])
    treated = rng.random(len(conditions.condition)) < treated_share[conditions.condition]
    choice_draw = rng.random(len(conditions.condition))
    drug = np.full(len(conditions.condition), -1, dtype=np.int64)
    for column, params in enumerate(condition_params):
        if not params.drugs:
            continue
        names = list(params.drugs)
        weights = np.array(list(params.drugs.values()))
        cumulative = np.cumsum(weights / weights.sum())
        picked = np.minimum(np.searchsorted(cumulative, choice_draw), len(names) - 1)
        indexes = np.array([drug_keys.index(name) for name in names])[picked]
        drug = np.where(conditions.condition == column, indexes, drug)
    treated &= drug >= 0
    rows = np.flatnonzero(treated)
    start = _days(conditions.recorded[rows])
    person = conditions.person_index[rows]
    end = np.minimum(start + DAYS_SUPPLY * (REFILLS + 1) - 1, observation_end[person])
    return DrugTable(
        drug_exposure_id=_dense_ids(offsets.drug_exposure, len(rows), "drug_exposure"),
        uuid=_draw_uuids(rng, len(rows)),
        person_index=person,
        visit_index=conditions.visit_index[rows],
        condition_row=rows.astype(np.int64),
        drug=drug[rows],
        start=_as_dates(start),
        end=_as_dates(end),
    )


def _draw_procedures(
    rng: np.random.Generator,
    model: ClinicalModel,
    offsets: IdOffsets,
    conditions: ConditionTable,
    visits: VisitTable,
    procedure_keys: tuple[str, ...],
) -> ProcedureTable:
    """Work-up at the diagnosis visit, and medication reconciliation on inpatient stays."""
    visit_parts: list[npt.NDArray[np.int64]] = []
    procedure_parts: list[npt.NDArray[np.int64]] = []
    for column, params in enumerate(model.conditions.values()):
        diagnosed_here = np.flatnonzero(conditions.condition == column)
        for name, share in params.procedures_at_diagnosis.items():
            done = diagnosed_here[rng.random(len(diagnosed_here)) < share]
            visit_parts.append(conditions.visit_index[done])
            procedure_parts.append(np.full(len(done), procedure_keys.index(name)))
    if "medication_reconciliation" in procedure_keys:
        inpatient = np.flatnonzero(visits.kind == INPATIENT)
        done = inpatient[rng.random(len(inpatient)) < model.visits.medication_reconciliation_share]
        visit_parts.append(done)
        procedure_parts.append(
            np.full(len(done), procedure_keys.index("medication_reconciliation"))
        )
    visit_index = np.concatenate([*visit_parts, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    procedure = np.concatenate([*procedure_parts, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    # The same procedure twice on one visit (two diagnoses calling for an ECG) is one procedure.
    combined = np.unique(visit_index * len(procedure_keys) + procedure)
    visit_index = combined // len(procedure_keys)
    procedure = combined % len(procedure_keys)
    return ProcedureTable(
        procedure_occurrence_id=_dense_ids(
            offsets.procedure_occurrence, len(visit_index), "procedure_occurrence"
        ),
        uuid=_draw_uuids(rng, len(visit_index)),
        person_index=visits.person_index[visit_index],
        visit_index=visit_index,
        procedure=procedure,
        date=visits.start[visit_index],
    )


@dataclass(frozen=True)
class Continuation:
    """Where a dataset drawn after an earlier one of the same seed starts (`generate --after`):
    at its first batch index, with the ids the earlier dataset used. The earlier dataset plus
    this one are the people of one population of their combined size, batch for batch."""

    first_batch: int
    offsets: IdOffsets


def draw_population(
    config: GeneratorConfig, start: Continuation | None = None
) -> Iterator[PeopleBatch]:
    """All batches of the population, in order, with ids dense across batches; from `start`
    on when given (`config.patients` then counts the earlier dataset's people too)."""
    batches = -(-config.patients // config.batch_size)
    first_batch, offsets = (0, IdOffsets()) if start is None else (start.first_batch, start.offsets)
    for batch_index in range(first_batch, batches):
        batch = draw_batch(config, batch_index, offsets)
        offsets = batch.next_ids
        yield batch


def draw_people(config: GeneratorConfig, start: Continuation | None = None) -> Iterator[People]:
    """The population's people alone, batch by batch: the same people, ids, deaths and
    observation periods as `draw_population`, without drawing their events (several times
    faster; for renderings that need only the person rows, such as `just bench`'s like-for-like
    comparison)."""
    first_batch = 0 if start is None else start.first_batch
    for batch_index in range(first_batch, -(-config.patients // config.batch_size)):
        first, size = _batch_bounds(config, batch_index)
        people, _ = _draw_people(_batch_rng(config, batch_index), config, first, size, first)
        yield people
