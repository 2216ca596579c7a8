"""Render a population batch as OMOP CDM v5.4 tables (Arrow), in the spec's columns and types.

Concept ids come from the project's terminology seeds (`dbt_project/seeds/terminology/`), the
same files dbt uses to map FHIR codes, so the OMOP feed and the OMOP built from FHIR agree by
construction and a concept id is written down in exactly one place.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from generators import omop_spec
from generators.population import (
    CDC_RACE_ETHNICITY_SYSTEM,
    ETHNICITY_CODES,
    GENDER_SYSTEM,
    RACE_CODES,
    SEX_CODES,
    PeopleBatch,
)

TERMINOLOGY_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "terminology"


@cache
def demographic_concepts() -> dict[tuple[str, str], int]:
    """(source_system, source_code) -> OMOP concept id, from the demographic concept seed."""
    path = TERMINOLOGY_DIR / "demographic_concept_map.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row["source_system"], row["source_code"]): int(row["target_concept_id"])
            for row in csv.DictReader(handle)
        }


def _concept_ids(system: str, codes: np.ndarray) -> np.ndarray:
    concepts = demographic_concepts()
    # Codes with no standard concept map to 0 ("No matching concept"), the OMOP convention.
    return np.array([concepts.get((system, str(code)), 0) for code in codes], dtype=np.int32)


def render_person(batch: PeopleBatch) -> pa.Table:
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
        "location_id": null_int,
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
