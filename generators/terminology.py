"""The curated codes the generators use, read from the one versioned terminology seed.

`dbt_project/seeds/terminology/generator_terminology.csv` lists every code the population model
can emit (FHIR system, code, display, UCUM unit) beside its true OMOP standard concept id; its
`.yml` carries the version. The FHIR and OMOP renderers both look codes up here, so a code and
its concept id are written down in exactly one place. The identifier systems that carry OMOP
ids on FHIR resources live here too: they are the linkage contract the dbt models rely on.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import yaml

from common.paths import DBT_PROJECT_DIR
from generators.exceptions import GeneratorError

TERMINOLOGY_DIR = DBT_PROJECT_DIR / "seeds" / "terminology"
TERMINOLOGY_FILE = TERMINOLOGY_DIR / "generator_terminology.csv"
TERMINOLOGY_PROPERTIES = TERMINOLOGY_DIR / "_generator_terminology.yml"

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

_OMOP_ID_SYSTEM_BASE = "http://healthlake.example.org/fhir/sid/omop-"

# FHIR identifier systems under which a resource carries the integer id of its OMOP row:
# `<base><table with dashes>-id`. The dbt models join FHIR to OMOP on these.
OMOP_TABLES_WITH_FHIR_IDENTIFIERS = (
    "person",
    "visit_occurrence",
    "condition_occurrence",
    "measurement",
    "observation",
    "drug_exposure",
    "procedure_occurrence",
    "care_site",
    "provider",
)


def omop_id_system(table: str) -> str:
    """The FHIR identifier system that carries the id of a row of OMOP `table`."""
    if table not in OMOP_TABLES_WITH_FHIR_IDENTIFIERS:
        raise KeyError(f"no FHIR identifier system for OMOP table {table!r}")
    return f"{_OMOP_ID_SYSTEM_BASE}{table.replace('_', '-')}-id"


# Which OMOP table an event lands in, by the domain of its standard concept (OMOP convention).
DOMAIN_TABLES = {
    "Condition": "condition_occurrence",
    "Observation": "observation",
    "Measurement": "measurement",
    "Drug": "drug_exposure",
    "Procedure": "procedure_occurrence",
    "Visit": "visit_occurrence",
}


@dataclass(frozen=True)
class Code:
    """One curated code: its FHIR coding, its OMOP concept and (for quantities) its unit."""

    key: str
    kind: str
    system: str
    code: str
    display: str
    concept_id: int
    domain_id: str
    vocabulary_id: str
    unit_code: str | None
    unit_display: str | None
    unit_concept_id: int | None

    @property
    def omop_table(self) -> str:
        """The OMOP table this code's events land in (by its concept's domain)."""
        return DOMAIN_TABLES[self.domain_id]


@cache
def codes() -> dict[str, Code]:
    """Every curated code by its key, in file order."""
    try:
        with TERMINOLOGY_FILE.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError as error:
        raise GeneratorError(
            f"the terminology seed {TERMINOLOGY_FILE} is missing; restore it from git"
        ) from error
    return {
        row["key"]: Code(
            key=row["key"],
            kind=row["kind"],
            system=row["source_system"],
            code=row["source_code"],
            display=row["source_display"],
            concept_id=int(row["target_concept_id"]),
            domain_id=row["target_domain_id"],
            vocabulary_id=row["target_vocabulary_id"],
            unit_code=row["unit_code"] or None,
            unit_display=row["unit_display"] or None,
            unit_concept_id=int(row["unit_concept_id"]) if row["unit_concept_id"] else None,
        )
        for row in rows
    }


def code(key: str) -> Code:
    """One curated code by key.

    Raises:
        GeneratorError: if the key is not in the terminology seed.
    """
    try:
        return codes()[key]
    except KeyError as error:
        raise GeneratorError(
            f"code {key!r} is not in {TERMINOLOGY_FILE}; add it there with its OMOP concept id"
        ) from error


def of_kind(kind: str) -> list[Code]:
    """The curated codes of one kind (condition, vital, lab, drug, procedure, visit), in order."""
    return [entry for entry in codes().values() if entry.kind == kind]


@cache
def version() -> str:
    """The terminology version (the seed's `meta.version`), written into cdm_source."""
    properties = yaml.safe_load(TERMINOLOGY_PROPERTIES.read_text(encoding="utf-8"))
    return str(properties["seeds"][0]["config"]["meta"]["version"])
