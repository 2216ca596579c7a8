"""Every model in the omop schema declares exactly the CDM v5.4 columns, order and types."""

from __future__ import annotations

import pytest
import yaml

from generators import omop_spec
from tests.conftest import REPO_ROOT

OMOP_MODELS = REPO_ROOT / "dbt_project" / "models" / "omop"


def _omop_models() -> list[dict[str, object]]:
    models: list[dict[str, object]] = []
    for path in sorted(OMOP_MODELS.glob("*.yml")):
        models += yaml.safe_load(path.read_text())["models"]
    return models


def test_every_omop_sql_model_has_a_contract_entry() -> None:
    sql = {path.stem for path in OMOP_MODELS.glob("*.sql")}
    documented = {str(model["name"]) for model in _omop_models()}
    assert sql == documented


@pytest.mark.parametrize("model", _omop_models(), ids=lambda m: str(m["name"]))
def test_contract_matches_the_cdm_spec(model: dict[str, object]) -> None:
    columns = model["columns"]
    assert isinstance(columns, list)
    declared = [(c["name"], c["data_type"]) for c in columns]
    expected = [(f.field_name, f.sql_type) for f in omop_spec.fields(str(model["name"]))]
    assert declared == expected
    for column, field in zip(columns, omop_spec.fields(str(model["name"])), strict=True):
        constraints = [c["type"] for c in column.get("constraints", [])]
        assert ("not_null" in constraints) == field.is_required, field.field_name
        assert column.get("description"), f"{field.field_name} has no description"


def test_omop_tables_use_the_spec_sql_files_only() -> None:
    for path in OMOP_MODELS.glob("*.sql"):
        assert path.stem in omop_spec.table_names(), f"{path.name} is not a CDM table"


def test_no_postgres_casts_in_models() -> None:
    for path in (REPO_ROOT / "dbt_project").rglob("*.sql"):
        if "target" in path.parts:
            continue
        assert "::" not in path.read_text(), f"{path} uses '::' (Athena rejects it)"


def test_models_do_not_branch_on_the_target() -> None:
    for path in (REPO_ROOT / "dbt_project" / "models").rglob("*"):
        if path.suffix in {".sql", ".yml"}:
            assert "target.type" not in path.read_text(), f"{path} branches on target.type"
