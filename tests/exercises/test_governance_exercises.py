"""The governance exercises teach what the project does: their answers are the contracts'
classifications and the analyst policy's masks, so a change to either fails here."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import yaml

from contracts.access import role_access
from contracts.masking import role_select, salt_parameters
from contracts.model import CONTRACTS_DIR, contract_paths, load
from contracts.policies import load_policies
from exercises import compare
from exercises.catalog import find
from exercises.checkers import evaluate
from exercises.dataset import Dataset
from exercises.workspace import materialize


def test_the_classification_answer_is_the_omop_contracts() -> None:
    contract = load(CONTRACTS_DIR / "omop_cdm.odcs.yaml")
    declared = {
        table.name: {column.name: column.classification for column in table.columns}
        for table in contract.tables
    }
    answer = yaml.safe_load(
        find("governance-01").solution_dir.joinpath("classification.yml").read_text()
    )
    for table, columns in answer.items():
        assert columns == {name: declared[table][name] for name in columns}, table
    # Every classification is taught: the answer holds each of the four.
    assert {value for columns in answer.values() for value in columns.values()} == {
        "phi",
        "pii",
        "internal",
        "public",
    }


def test_the_masking_answer_is_what_publish_gives_the_analyst(
    learn_dataset: Dataset, tmp_path: Path
) -> None:
    exercise = find("governance-02")
    solved = materialize(exercise, tmp_path / "solved", solved=True)
    learner = evaluate(exercise, solved, learn_dataset)

    # The exercise's unmasked patients as gold.dim_patient, masked by the project's own SQL.
    query = solved.joinpath("query.sql").read_text()
    patients = query.split(",\n\nfinal as (")[0] + "\n\nselect * from patients"
    contracts = [load(path) for path in contract_paths()]
    analyst = load_policies().role("analyst")
    dim_patient = next(t for t in role_access(analyst, contracts) if t.table == "dim_patient")
    salt = str(exercise.check["parameters"]["salt"])
    with duckdb.connect(str(tmp_path / "lakehouse.duckdb")) as con:
        con.execute("attach ? as learn (read_only)", [str(learn_dataset.database)])
        con.execute("create schema gold")
        con.execute(
            f"create table gold.dim_patient as {patients.replace('bronze.', 'learn.bronze.')}"
        )
        relation = con.table("gold.dim_patient")
        types = {n: str(t) for n, t in zip(relation.columns, relation.types, strict=True)}
        access = dataclasses.replace(
            dim_patient, columns=tuple(c for c in dim_patient.columns if c.name in types)
        )
        assert tuple(c.name for c in access.visible) == learner.columns
        select = role_select(access, types)
        published = compare.from_relation(
            con.sql(select.sql(dialect="duckdb"), params=salt_parameters(select, salt))
        )
    assert compare.differences(published, learner) == []
