"""OMOP rendering: the CDM v5.4 person table, consistent with the FHIR rendering."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from generators import omop_spec
from generators.config import GeneratorConfig
from generators.fhir import render_patients
from generators.omop import render_person
from generators.population import draw_batch
from generators.terminology import TERMINOLOGY_DIR
from tests.conftest import SHARED_REFERENCE

CONFIG = GeneratorConfig(patients=500, seed=9)


def test_person_has_the_spec_columns_order_and_types() -> None:
    person = render_person(draw_batch(CONFIG, 0))
    assert person.schema.equals(omop_spec.arrow_schema("person"))
    assert person.column_names == [f.field_name for f in omop_spec.fields("person")]


def test_required_person_fields_are_filled_and_ids_unique() -> None:
    person = render_person(draw_batch(CONFIG, 0))
    for field in omop_spec.fields("person"):
        if field.is_required:
            assert person.column(field.field_name).null_count == 0, field.field_name
    assert pc.count_distinct(person.column("person_id")).as_py() == person.num_rows


def test_person_matches_the_fhir_patient_of_the_same_draw() -> None:
    batch = draw_batch(CONFIG, 0)
    person = render_person(batch).to_pylist()
    patients = [json.loads(line) for line in render_patients(batch, CONFIG).to_pylist()]
    for row, patient in zip(person, patients, strict=True):
        assert row["person_source_value"] == patient["id"]
        born = patient["birthDate"]
        assert (row["year_of_birth"], row["month_of_birth"], row["day_of_birth"]) == (
            int(born[:4]),
            int(born[5:7]),
            int(born[8:10]),
        )
        assert row["gender_concept_id"] == {"male": 8507, "female": 8532}[patient["gender"]]


def _vocabulary() -> dict[int, dict[str, str]]:
    path = SHARED_REFERENCE / "omop_vocabulary_subset" / "CONCEPT.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {int(row["concept_id"]): row for row in csv.DictReader(handle)}


# Person concepts the vocabulary subset lacks; shared/reference/README.md lists their true ids.
_DOCUMENTED_PERSON_CONCEPTS = {
    8507: "Gender",
    8532: "Gender",
    8527: "Race",
    8516: "Race",
    8515: "Race",
    8557: "Race",
    8657: "Race",
    38003563: "Ethnicity",
    38003564: "Ethnicity",
}


def test_demographic_concept_ids_are_true_omop_ids() -> None:
    vocabulary = _vocabulary() if (SHARED_REFERENCE / "omop_vocabulary_subset").exists() else {}
    with (TERMINOLOGY_DIR / "demographic_concept_map.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            concept_id = int(row["target_concept_id"])
            if concept_id in vocabulary:
                assert vocabulary[concept_id]["domain_id"] == row["target_domain_id"]
            else:
                assert _DOCUMENTED_PERSON_CONCEPTS[concept_id] == row["target_domain_id"]


@pytest.mark.skipif(not SHARED_REFERENCE.exists(), reason="../shared/reference is not present")
def test_bundled_spec_matches_upstream() -> None:
    upstream = SHARED_REFERENCE / "omop_cdm_v5.4" / "OMOP_CDMv5.4_Field_Level.csv"
    with upstream.open(encoding="utf-8-sig", newline="") as handle:
        expected = [
            (r["cdmTableName"].lower(), r["cdmFieldName"].lower(), r["cdmDatatype"].lower())
            for r in csv.DictReader(handle)
        ]
    bundled = [
        (f.table_name, f.field_name, f.cdm_datatype)
        for table in omop_spec.table_names()
        for f in omop_spec.fields(table)
    ]
    assert bundled == expected


def test_unknown_table_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match=r"not an OMOP CDM v5\.4 table"):
        omop_spec.fields("persons")


def test_spec_file_is_shipped_with_the_package() -> None:
    assert Path(omop_spec.SPEC_FILE).is_file()
