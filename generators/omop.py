"""Render a population batch as OMOP CDM v5.4 tables (Arrow), in the spec's columns and types.

Concept ids come from the project's terminology seeds (`dbt_project/seeds/terminology/`), the
same files dbt uses to map FHIR codes, so the OMOP feed and the OMOP built from FHIR agree by
construction and a concept id is written down in exactly one place. Columns the generator has
no value for are null (never for a required column); every table is built against
`omop_spec.arrow_schema`, so names, order and types cannot drift from the spec.
"""

from __future__ import annotations

import csv
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from generators import __version__, omop_spec, terminology, world
from generators.config import GeneratorConfig
from generators.geography import us_states
from generators.population import (
    CDC_RACE_ETHNICITY_SYSTEM,
    DAYS_SUPPLY,
    ETHNICITY_CODES,
    GENDER_SYSTEM,
    OBSERVATION_KEYS,
    RACE_CODES,
    REFILLS,
    SEX_CODES,
    VISIT_KINDS,
    People,
    PeopleBatch,
)


@cache
def demographic_concepts() -> dict[tuple[str, str], int]:
    """(source_system, source_code) -> OMOP concept id, from the demographic concept seed."""
    path = terminology.TERMINOLOGY_DIR / "demographic_concept_map.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row["source_system"], row["source_code"]): int(row["target_concept_id"])
            for row in csv.DictReader(handle)
        }


def _concept_ids(system: str, codes: np.ndarray) -> np.ndarray:
    concepts = demographic_concepts()
    # Codes with no standard concept map to 0 ("No matching concept"), the OMOP convention.
    return np.array([concepts.get((system, str(code)), 0) for code in codes], dtype=np.int32)


def render_person(batch: People) -> pa.Table:
    """The OMOP `person` rows of a batch."""
    gender_ids = _concept_ids(GENDER_SYSTEM, SEX_CODES)
    race_ids = _concept_ids(CDC_RACE_ETHNICITY_SYSTEM, RACE_CODES)
    ethnicity_ids = _concept_ids(CDC_RACE_ETHNICITY_SYSTEM, ETHNICITY_CODES)

    sex_index = batch.is_male.astype(np.int64)
    # ETHNICITY_CODES[0] is Hispanic, so a Hispanic person indexes 0.
    ethnicity_index = (~batch.is_hispanic).astype(np.int64)
    birth = batch.birth_date.astype("datetime64[D]")
    years = birth.astype("datetime64[Y]")
    months = birth.astype("datetime64[M]")
    size = len(batch)
    null_int = pa.nulls(size, pa.int32())
    columns = {
        "person_id": pa.array(batch.person_id, pa.int32()),
        "gender_concept_id": pa.array(gender_ids[sex_index]),
        "year_of_birth": pa.array(years.astype(np.int64) + 1970, pa.int32()),
        "month_of_birth": pa.array((months - years).astype(np.int64) + 1, pa.int32()),
        "day_of_birth": pa.array((birth - months).astype(np.int64) + 1, pa.int32()),
        "birth_datetime": pa.array(birth.astype("datetime64[us]"), pa.timestamp("us")),
        "race_concept_id": pa.array(race_ids[batch.race_index]),
        "ethnicity_concept_id": pa.array(ethnicity_ids[ethnicity_index]),
        "location_id": pa.array(batch.state_index + 1, pa.int32()),
        "provider_id": null_int,
        "care_site_id": null_int,
        # The FHIR Patient id: the OMOP row says which source record it came from.
        "person_source_value": pa.array(batch.patient_uuid, pa.string()),
        "gender_source_value": pa.array(SEX_CODES[sex_index], pa.string()),
        "gender_source_concept_id": pa.array(np.zeros(size, np.int32)),
        "race_source_value": pa.array(RACE_CODES[batch.race_index], pa.string()),
        "race_source_concept_id": pa.array(np.zeros(size, np.int32)),
        "ethnicity_source_value": pa.array(ETHNICITY_CODES[ethnicity_index], pa.string()),
        "ethnicity_source_concept_id": pa.array(np.zeros(size, np.int32)),
    }
    return pa.Table.from_pydict(columns, schema=omop_spec.arrow_schema("person"))


EHR = "ehr"  # the terminology key of type concept 32817, the provenance of every row


def _table(name: str, size: int, columns: dict[str, object]) -> pa.Table:
    """A CDM table from the columns the generator fills; every other column is null."""
    schema = omop_spec.arrow_schema(name)
    arrays = []
    for spec_field in schema:
        value = columns.pop(spec_field.name, None)
        if value is None:
            arrays.append(pa.nulls(size, spec_field.type))
        elif isinstance(value, pa.Array):
            arrays.append(value.cast(spec_field.type))
        elif isinstance(value, np.ndarray):
            arrays.append(pa.array(value, spec_field.type))
        else:  # a constant for every row
            arrays.append(pa.array(np.full(size, value), spec_field.type))
    if columns:
        raise KeyError(f"{sorted(columns)} are not columns of OMOP {name}")
    return pa.Table.from_arrays(arrays, schema=schema)


def _lookup(keys: tuple[str, ...], attribute: str) -> npt.NDArray[np.generic]:
    return np.array([getattr(terminology.code(key), attribute) for key in keys])


def _lookup_text(keys: tuple[str, ...], attribute: str, index: npt.NDArray[np.int64]) -> pa.Array:
    """A text attribute of the codes `keys[index]`, as one Arrow take (no per-row strings)."""
    table = pa.array([getattr(terminology.code(key), attribute) for key in keys], pa.string())
    return table.take(pa.array(index))


def _ehr() -> int:
    return terminology.code(EHR).concept_id


def render_observation_period(batch: People) -> pa.Table:
    """One observation period per person: the span of their record."""
    return _table(
        "observation_period",
        len(batch),
        {
            # One period per person, so the person id numbers it.
            "observation_period_id": batch.person_id,
            "person_id": batch.person_id,
            "observation_period_start_date": batch.observation_start,
            "observation_period_end_date": batch.observation_end,
            "period_type_concept_id": _ehr(),
        },
    )


def render_visit_occurrence(batch: PeopleBatch) -> pa.Table:
    """One visit per FHIR Encounter; visit_source_value is the Encounter id."""
    visits = batch.visits
    return _table(
        "visit_occurrence",
        len(visits.visit_id),
        {
            "visit_occurrence_id": visits.visit_id,
            "person_id": batch.person_id[visits.person_index],
            "visit_concept_id": _lookup(VISIT_KINDS, "concept_id")[visits.kind],
            "visit_start_date": visits.start,
            "visit_end_date": visits.end,
            "visit_type_concept_id": _ehr(),
            "provider_id": visits.provider_id,
            "care_site_id": visits.care_site_id,
            "visit_source_value": pa.array(visits.uuid).cast(pa.string()),
            "visit_source_concept_id": 0,
        },
    )


def _conditions_routed(batch: PeopleBatch, table: str) -> npt.NDArray[np.int64]:
    routed = np.array(
        [terminology.code(key).omop_table == table for key in batch.condition_keys], dtype=bool
    )
    if not len(routed):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(routed[batch.conditions.condition])


# Diagnoses land in the table their concept's domain names; the two tables spell the same
# facts with their own column names: (id, concept, date, type, source value, source concept).
_DIAGNOSIS_COLUMNS: dict[str, tuple[str, str, str, str, str, str]] = {
    "condition_occurrence": (
        "condition_occurrence_id",
        "condition_concept_id",
        "condition_start_date",
        "condition_type_concept_id",
        "condition_source_value",
        "condition_source_concept_id",
    ),
    "observation": (
        "observation_id",
        "observation_concept_id",
        "observation_date",
        "observation_type_concept_id",
        "observation_source_value",
        "observation_source_concept_id",
    ),
}


def _render_diagnoses(batch: PeopleBatch, table: str) -> pa.Table:
    """The diagnoses whose concept routes to `table`, in that table's columns."""
    rows = _conditions_routed(batch, table)
    conditions = batch.conditions
    condition = conditions.condition[rows]
    row_id, concept, date, type_concept, source_value, source_concept = _DIAGNOSIS_COLUMNS[table]
    return _table(
        table,
        len(rows),
        {
            row_id: conditions.omop_id[rows],
            "person_id": batch.person_id[conditions.person_index[rows]],
            concept: _lookup(batch.condition_keys, "concept_id")[condition],
            date: conditions.recorded[rows],
            type_concept: _ehr(),
            "provider_id": batch.visits.provider_id[conditions.visit_index[rows]],
            "visit_occurrence_id": batch.visits.visit_id[conditions.visit_index[rows]],
            source_value: _lookup_text(batch.condition_keys, "code", condition),
            source_concept: 0,
        },
    )


def render_condition_occurrence(batch: PeopleBatch) -> pa.Table:
    """Diagnoses whose concept is in the Condition domain."""
    return _render_diagnoses(batch, "condition_occurrence")


def render_observation(batch: PeopleBatch) -> pa.Table:
    """Diagnoses whose concept is in the Observation domain (obesity: BMI 30+)."""
    return _render_diagnoses(batch, "observation")


def render_measurement(batch: PeopleBatch) -> pa.Table:
    """Vitals and labs; a blood pressure Observation becomes a systolic and a diastolic row."""
    observations = batch.observations
    # OMOP row keys: blood pressure splits into its two components.
    row_keys = tuple("systolic_bp" if key == "blood_pressure" else key for key in OBSERVATION_KEYS)
    pressure = np.flatnonzero(observations.second_measurement_id >= 0)
    keys = (*row_keys, "diastolic_bp")
    key = np.concatenate([observations.key, np.full(len(pressure), len(row_keys))])
    index = np.concatenate([np.arange(len(observations.key)), pressure])
    measurement_id = np.concatenate(
        [observations.measurement_id, observations.second_measurement_id[pressure]]
    )
    value = np.concatenate([observations.value, observations.second_value[pressure]])
    order = np.argsort(measurement_id, kind="stable")
    key, index, measurement_id, value = (
        key[order],
        index[order],
        measurement_id[order],
        value[order],
    )
    return _table(
        "measurement",
        len(key),
        {
            "measurement_id": measurement_id,
            "person_id": batch.person_id[observations.person_index[index]],
            "measurement_concept_id": _lookup(keys, "concept_id")[key],
            "measurement_date": observations.date[index],
            "measurement_type_concept_id": _ehr(),
            "value_as_number": value,
            "unit_concept_id": _lookup(keys, "unit_concept_id")[key],
            "provider_id": batch.visits.provider_id[observations.visit_index[index]],
            "visit_occurrence_id": batch.visits.visit_id[observations.visit_index[index]],
            "measurement_source_value": _lookup_text(keys, "code", key),
            "measurement_source_concept_id": 0,
            "unit_source_value": _lookup_text(keys, "unit_code", key),
        },
    )


def render_drug_exposure(batch: PeopleBatch) -> pa.Table:
    """Prescriptions: 90 days supplied with 3 refills, ending at the latest with the record."""
    drugs = batch.drugs
    return _table(
        "drug_exposure",
        len(drugs.drug),
        {
            "drug_exposure_id": drugs.drug_exposure_id,
            "person_id": batch.person_id[drugs.person_index],
            "drug_concept_id": _lookup(batch.drug_keys, "concept_id")[drugs.drug],
            "drug_exposure_start_date": drugs.start,
            "drug_exposure_end_date": drugs.end,
            "drug_type_concept_id": _ehr(),
            "refills": REFILLS,
            "days_supply": DAYS_SUPPLY,
            "provider_id": batch.visits.provider_id[drugs.visit_index],
            "visit_occurrence_id": batch.visits.visit_id[drugs.visit_index],
            "drug_source_value": _lookup_text(batch.drug_keys, "code", drugs.drug),
            "drug_source_concept_id": 0,
        },
    )


def render_procedure_occurrence(batch: PeopleBatch) -> pa.Table:
    """Procedures done at visits."""
    procedures = batch.procedures
    return _table(
        "procedure_occurrence",
        len(procedures.procedure),
        {
            "procedure_occurrence_id": procedures.procedure_occurrence_id,
            "person_id": batch.person_id[procedures.person_index],
            "procedure_concept_id": _lookup(batch.procedure_keys, "concept_id")[
                procedures.procedure
            ],
            "procedure_date": procedures.date,
            "procedure_type_concept_id": _ehr(),
            "provider_id": batch.visits.provider_id[procedures.visit_index],
            "visit_occurrence_id": batch.visits.visit_id[procedures.visit_index],
            "procedure_source_value": _lookup_text(
                batch.procedure_keys, "code", procedures.procedure
            ),
            "procedure_source_concept_id": 0,
        },
    )


def render_death(batch: People) -> pa.Table:
    """One row per person who died (the cause is not modelled, so it is left empty)."""
    dead = np.flatnonzero(batch.is_dead)
    return _table(
        "death",
        len(dead),
        {
            "person_id": batch.person_id[dead],
            "death_date": batch.death_date[dead],
            "death_type_concept_id": _ehr(),
        },
    )


# --- tables that describe the synthetic world, not a batch of people ---------------------------


def render_location(config: GeneratorConfig) -> pa.Table:
    """One location per US state (people live in their state's location; ZIPs vary per person)."""
    states = us_states()
    return _table(
        "location",
        len(states),
        {
            "location_id": np.arange(1, len(states) + 1),
            "city": np.array([state.city for state in states]),
            "state": np.array([state.abbreviation for state in states]),
            "location_source_value": np.array([state.name for state in states]),
            "country_source_value": "US",
        },
    )


def render_care_site(config: GeneratorConfig) -> pa.Table:
    """A clinic (outpatient visits) and a hospital (emergency and inpatient) in every state."""
    sites = world.care_sites()
    return _table(
        "care_site",
        len(sites),
        {
            "care_site_id": sites.care_site_id,
            "care_site_name": sites.name,
            "place_of_service_concept_id": _lookup(sites.place_key, "concept_id"),
            # Locations are numbered by state (render_location).
            "location_id": sites.state_index + 1,
            "care_site_source_value": sites.name,
            "place_of_service_source_value": _lookup(sites.place_key, "code"),
        },
    )


def render_provider(config: GeneratorConfig) -> pa.Table:
    """The clinicians of every care site (`world.draw_providers`)."""
    providers = world.draw_providers(config)
    sex_index = providers.is_male.astype(np.int64)
    return _table(
        "provider",
        len(providers),
        {
            "provider_id": providers.provider_id,
            "provider_name": np.char.add(
                np.char.add(providers.given_name.astype(str), " "),
                providers.family_name.astype(str),
            ),
            "care_site_id": providers.care_site_id,
            "year_of_birth": providers.year_of_birth,
            "gender_concept_id": _concept_ids(GENDER_SYSTEM, SEX_CODES)[sex_index],
            "provider_source_value": np.char.add("provider-", providers.provider_id.astype(str)),
            "gender_source_value": SEX_CODES[sex_index],
            "gender_source_concept_id": 0,
        },
    )


# The OMOP "CDM v5.4" concept (756265) is not in the project's concept seed; until it is, the
# required cdm_version_concept_id is 0 ("No matching concept") rather than an id the vocabulary
# cannot resolve.
CDM_VERSION_CONCEPT_ID = 0


def render_cdm_source(config: GeneratorConfig) -> pa.Table:
    """The one row describing this dataset: the reference date is its release date."""
    return _table(
        "cdm_source",
        1,
        {
            "cdm_source_name": "healthlake synthetic population",
            "cdm_source_abbreviation": "healthlake",
            "cdm_holder": "healthlake",
            "source_description": (
                f"Synthetic patients drawn by healthlake.generators {__version__} "
                f"(seed {config.seed}, {config.patients} patients)"
            ),
            "cdm_etl_reference": "docs/generators.md",
            "source_release_date": np.datetime64(config.reference_date, "D"),
            "cdm_release_date": np.datetime64(config.reference_date, "D"),
            "cdm_version": "v5.4",
            "cdm_version_concept_id": CDM_VERSION_CONCEPT_ID,
            "vocabulary_version": terminology.version(),
        },
    )
