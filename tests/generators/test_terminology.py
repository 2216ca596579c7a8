"""The curated terminology: every concept id is a true OMOP id of the right domain."""

from __future__ import annotations

import csv

import pytest

from generators import terminology
from generators.config import GeneratorConfig
from generators.population import OBSERVATION_KEYS
from tests.conftest import REPO_ROOT, SHARED_REFERENCE

CONCEPT_SEED = REPO_ROOT / "dbt_project" / "seeds" / "vocabulary" / "concept.csv"


def _concepts(path: object) -> dict[int, dict[str, str]]:
    with open(str(path), encoding="utf-8", newline="") as handle:  # noqa: PTH123
        return {int(row["concept_id"]): row for row in csv.DictReader(handle)}


def test_every_code_is_a_standard_concept_of_its_domain_in_the_seed() -> None:
    seed = _concepts(CONCEPT_SEED)
    for code in terminology.codes().values():
        concept = seed[code.concept_id]
        assert concept["domain_id"] == code.domain_id, code.key
        assert concept["standard_concept"] == "S", code.key
        if code.kind != "visit" and code.system:
            # FHIR code == OMOP concept_code for SNOMED, LOINC, RxNorm.
            assert concept["concept_code"] == code.code, code.key
            assert concept["concept_name"] == code.display, code.key
        if code.unit_concept_id is not None:
            unit = seed[code.unit_concept_id]
            assert (unit["domain_id"], unit["vocabulary_id"]) == ("Unit", "UCUM")
            assert unit["concept_code"] == code.unit_code


@pytest.mark.skipif(not SHARED_REFERENCE.exists(), reason="../shared/reference is not present")
def test_clinical_codes_are_in_the_upstream_vocabulary_subset() -> None:
    upstream = _concepts(SHARED_REFERENCE / "omop_vocabulary_subset" / "CONCEPT.csv")
    for code in terminology.codes().values():
        if code.kind in {"condition", "vital", "lab", "panel", "drug", "procedure", "visit"}:
            assert upstream[code.concept_id]["domain_id"] == code.domain_id, code.key


def test_the_model_only_uses_curated_codes() -> None:
    model = GeneratorConfig(patients=1).model
    for key in (*OBSERVATION_KEYS, "systolic_bp", "diastolic_bp", "ehr"):
        terminology.code(key)
    for name, condition in model.conditions.items():
        assert terminology.code(name).kind == "condition"
        for drug in condition.drugs:
            assert terminology.code(drug).kind == "drug"


def test_obesity_routes_to_the_observation_table() -> None:
    assert terminology.code("obesity").omop_table == "observation"
    assert terminology.code("hypertension").omop_table == "condition_occurrence"


def test_terminology_is_versioned() -> None:
    assert terminology.version().count(".") >= 1


def test_unknown_code_is_a_clear_error() -> None:
    with pytest.raises(Exception, match=r"is not in .*generator_terminology\.csv"):
        terminology.code("no_such_code")
