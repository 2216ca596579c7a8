"""The contracts on the real files: valid ones pass, broken ones fail in one line, drift from the
dbt model yml fails both ways, and diff tells breaking changes from the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from contracts.drift import MODELS_DIR, PRODUCT_FOLDERS, drift
from contracts.model import CLASSIFICATIONS, contract_paths, load
from tests.conftest import JUST, one_line_error, python_module, run

OMOP = Path("contracts/omop_cdm.odcs.yaml")


def _edited(tmp_path: Path, edit: object, source: Path = OMOP) -> Path:
    document = yaml.safe_load(source.read_text())
    edit(document)  # type: ignore[operator]
    target = tmp_path / source.name
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return target


def test_every_contract_is_valid_and_matches_the_build() -> None:
    contracts = [load(path) for path in contract_paths()]
    assert drift(contracts) == []
    result = run([*JUST, "contracts", "check"])
    assert result.returncode == 0, result.stdout + result.stderr
    # One line per contract, and one for the policies (tests/contracts/test_policies.py).
    assert result.stdout.count(": ok (") == len(contracts) + 1


def test_every_gold_and_omop_model_has_a_contract_and_every_column_a_classification() -> None:
    tables = {t.name: t for path in contract_paths() for t in load(path).tables}
    for folder in PRODUCT_FOLDERS:
        for sql in (MODELS_DIR / folder).glob("*.sql"):
            assert sql.stem in tables, f"{sql} has no contract"
    for table in tables.values():
        for column in table.columns:
            assert column.classification in CLASSIFICATIONS, f"{table.name}.{column.name}"


def test_phi_is_classified_as_phi() -> None:
    columns = {
        (t.name, c.name): c.classification
        for path in contract_paths()
        for t in load(path).tables
        for c in t.columns
    }
    for key in [
        ("person", "person_source_value"),
        ("person", "birth_datetime"),
        ("location", "address_1"),
        ("location", "zip"),
        ("dim_patient", "given_name"),
        ("dim_patient", "family_name"),
        ("dim_patient", "birth_date"),
        ("dim_patient", "patient_id"),
    ]:
        assert columns[key] == "phi", key
    assert columns[("person", "gender_concept_id")] in {"internal", "public"}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(owner="someone"), ["$", "no such field", "'owner'"]),
        (lambda d: d["schema"][0]["properties"][0].update(colour="red"), ["colour"]),
        (lambda d: d.update(version=1), ["$.version", "expected string"]),
        (
            lambda d: d["schema"][0]["properties"][1].update(primaryKeyPosition=1),
            ["$.schema[0].properties[1].primaryKeyPosition", "primaryKey: true"],
        ),
        (
            lambda d: d["schema"][0]["properties"][1].update(primaryKey=True),
            ["$.schema[0].properties", "primaryKeyPosition 1..2"],
        ),
        (
            lambda d: d["schema"][0]["customProperties"][0]["value"].append("everyone"),
            ["$.schema[0].customProperties[0].value", "'everyone' is not declared"],
        ),
        (
            lambda d: d["schema"][0]["properties"][0].update(classification="secret"),
            ["classification", "expected one of"],
        ),
    ],
    ids=[
        "unknown-field",
        "unknown-column-field",
        "wrong-type",
        "key-position",
        "key-broken",
        "undeclared-role",
        "bad-classification",
    ],
)
def test_a_broken_contract_fails_in_one_line(
    tmp_path: Path, edit: object, expected: list[str]
) -> None:
    broken = _edited(tmp_path, edit)
    result = python_module("contracts", "diff", str(OMOP), str(broken))
    one_line_error(result, str(broken), *expected)
    checked = python_module("contracts", "check", str(broken))
    assert checked.returncode == 1
    assert expected[0] in checked.stdout


def test_drift_either_way_fails(tmp_path: Path) -> None:
    models = tmp_path / "models"
    for folder in PRODUCT_FOLDERS:
        shutil.copytree(MODELS_DIR / folder, models / folder)
    person = models / "omop" / "person.yml"
    document = yaml.safe_load(person.read_text())
    columns = document["models"][0]["columns"]
    columns.append({"name": "favourite_colour", "description": "New in the yml only."})
    columns[:] = [c for c in columns if c["name"] != "race_source_value"]
    columns[0]["data_type"] = "bigint"
    person.write_text(yaml.safe_dump(document, sort_keys=False))
    problems = drift([load(OMOP)], models)
    assert any("favourite_colour is in person.yml" in p for p in problems), problems
    assert any("race_source_value is not in person.yml" in p for p in problems), problems
    assert any("person.person_id: physicalType integer" in p for p in problems), problems
    result = python_module("contracts", "check", "--models", str(models), str(OMOP))
    assert result.returncode == 1
    assert "drift from dbt" in result.stdout


def _drop_column(document: dict) -> None:
    document["schema"][0]["properties"].pop()


def test_diff_a_removed_column_is_breaking_and_needs_a_major_bump(tmp_path: Path) -> None:
    new = _edited(tmp_path, _drop_column)
    result = python_module("contracts", "diff", str(OMOP), str(new))
    assert "BREAKING" in result.stdout
    one_line_error(result, "breaking change", "raise it (e.g. 2.0.0)")

    def bumped(document: dict) -> None:
        _drop_column(document)
        document["version"] = "2.0.0"

    result = python_module("contracts", "diff", str(OMOP), str(_edited(tmp_path, bumped)))
    assert result.returncode == 0, result.stderr
    assert "column removed" in result.stdout


def test_diff_an_added_column_is_not_breaking(tmp_path: Path) -> None:
    def added(document: dict) -> None:
        document["schema"][0]["properties"].append(
            {"name": "note", "logicalType": "string", "description": "x", "classification": "phi"}
        )

    result = python_module("contracts", "diff", str(OMOP), str(_edited(tmp_path, added)))
    assert result.returncode == 0, result.stderr
    assert "column added" in result.stdout
    assert "BREAKING" not in result.stdout


def test_diff_narrowed_type_key_and_classification(tmp_path: Path) -> None:
    def changed(document: dict) -> None:
        person = next(t for t in document["schema"] if t["name"] == "person")
        by = {p["name"]: p for p in person["properties"]}
        by["year_of_birth"]["logicalType"] = "string"
        by["gender_concept_id"]["classification"] = "phi"
        by["person_id"].pop("primaryKey")
        by["person_id"].pop("primaryKeyPosition")

    result = python_module("contracts", "diff", str(OMOP), str(_edited(tmp_path, changed)))
    assert "person.year_of_birth: type narrowed integer -> string" in result.stdout
    assert "person.gender_concept_id: classification internal -> phi" in result.stdout
    assert "person: primary key (person_id) -> ()" in result.stdout
    assert result.returncode == 2


def test_diff_against_a_git_revision() -> None:
    result = run([*JUST, "contracts", "diff", "--against", "HEAD", str(OMOP)])
    assert result.returncode == 0, result.stderr
    assert "1.0.0 -> 1.0.0" in result.stdout
    missing = python_module("contracts", "diff", "--against", "no-such-rev", str(OMOP))
    one_line_error(missing, "no-such-rev", "cannot be read from git")
