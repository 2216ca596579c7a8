"""Contracts checked against the build, both ways: the dbt model yml files and the contracts must
name the same tables and columns, with the same descriptions and (where the yml declares one) the
same data types. A column in either that the other lacks is drift."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from common.paths import DBT_PROJECT_DIR
from contracts.model import Contract

MODELS_DIR = DBT_PROJECT_DIR / "models"
# The folders whose models are data products with contracts. gold/intermediate holds the marts'
# building blocks (int_*), which are not exposed to users and have no contract.
PRODUCT_FOLDERS = ("omop", "gold")


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def dbt_models(models_dir: Path = MODELS_DIR) -> dict[str, dict[str, Any]]:
    """The models of the product folders, by name, from their yml files (not subfolders)."""
    models: dict[str, dict[str, Any]] = {}
    for folder in PRODUCT_FOLDERS:
        for path in sorted((models_dir / folder).glob("*.yml")):
            for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
                models[model["name"]] = {**model, "_path": path}
    return models


def drift(contracts: Iterable[Contract], models_dir: Path = MODELS_DIR) -> list[str]:
    """Every disagreement between the contracts and the model yml files, one sentence each."""
    models = dbt_models(models_dir)
    problems: list[str] = []
    covered: set[str] = set()
    for contract in contracts:
        for table in contract.tables:
            covered.add(table.name)
            model = models.get(table.name)
            where = f"{contract.path.name}: {table.name}"
            if model is None:
                problems.append(f"{where}: no dbt model of that name under models/omop or gold")
                continue
            if _one_line(model.get("description")) != _one_line(table.description):
                problems.append(f"{where}: description differs from {model['_path'].name}")
            yml_columns = {c["name"]: c for c in model.get("columns", [])}
            contract_columns = {c.name: c for c in table.columns}
            for name in yml_columns.keys() - contract_columns.keys():
                problems.append(f"{where}: column {name} is in {model['_path'].name}, not here")
            for name in contract_columns.keys() - yml_columns.keys():
                problems.append(f"{where}: column {name} is not in {model['_path'].name}")
            for name in yml_columns.keys() & contract_columns.keys():
                column, declared = contract_columns[name], yml_columns[name]
                if _one_line(declared.get("description")) != _one_line(column.description):
                    problems.append(f"{where}.{name}: description differs from the yml")
                data_type = declared.get("data_type")
                if data_type is not None and data_type != column.physical_type:
                    problems.append(
                        f"{where}.{name}: physicalType {column.physical_type} but the yml "
                        f"declares {data_type}"
                    )
    for name in sorted(models.keys() - covered):
        problems.append(f"model {name} ({models[name]['_path'].name}) has no contract")
    return problems
