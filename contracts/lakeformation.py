"""The contracts and policies as Lake Formation: LF-tags on columns, grants, row filters.

    python -m contracts lakeformation            # write the config into the product model yml
    python -m contracts lakeformation --check    # fail if the yml is not what the contracts give

Athena enforces access the Lake Formation way: every column of a data product carries the
LF-tag `classification` with its contract's value (`phi`, `pii`, `internal`, `public`), every
table the LF-tag `data_product`, and a role is granted SELECT on an LF-tag expression
(`role_grants`, which infra/healthlake_infra/governance.py turns into grants): the
classifications its policy leaves unmasked, in the products whose tables it reads. Lake
Formation hides columns and rows but cannot change a value, so a masked column is hidden, never
shown raw.

A role with a row filter gets no tag grant (it would see every row) but a data cell filter per
table: dbt-athena's `lf_grants`, granted to the role's principal. dbt-athena's filters always
cover every column (dbt-labs/dbt-adapters#937: it cannot name columns), so a filter is only
made on a table where the role's policy masks nothing; the others need masked tables, which
are not built on Athena yet (docs/governance.md).

dbt-athena applies both after it builds a table, from the model config `lf_tags_config`
(`enabled`, `tags` on the table, `tags_columns`: tag key -> value -> columns) and `lf_grants`.
That config lives in each model's yml, between a marker comment and `columns:`; this module
writes it from the contracts and policies, so they stay the one source of truth and `--check`
(run by `just lint` and tests/contracts) fails on any hand edit or drift. dbt-duckdb and
dbt-trino ignore both keys, as they ignore `table_type`, so the same yml serves every engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from contracts.access import role_access
from contracts.drift import MODELS_DIR, dbt_models
from contracts.exceptions import ContractDriftError, PolicyInvalidError
from contracts.model import CLASSIFICATIONS, Contract, Table, shown
from contracts.policies import Policies, Role

# The LF-tag of every column (values: model.CLASSIFICATIONS) and the one of every table.
CLASSIFICATION_TAG = "classification"
DATA_PRODUCT_TAG = "data_product"
# The first line of the generated block in a model yml; the block ends before `    columns:`.
MARKER = "    # Lake Formation (dbt-athena lf_tags_config, lf_grants; other adapters ignore them):"
_COLUMNS_LINE = "    columns:"


@dataclass(frozen=True)
class RoleGrants:
    """What Lake Formation grants one role.

    Attributes:
        role: the policy's role name.
        expression: the LF-tag expression it may SELECT (tag key -> values), None for none.
        row_filters: table -> the row filter expression of its data cell filter.
        unserved: tables the role reads by its policy that Lake Formation cannot serve it
            (masks under a row filter need masked tables).
    """

    role: str
    expression: Mapping[str, tuple[str, ...]] | None
    row_filters: Mapping[str, str]
    unserved: tuple[str, ...]


def principal_variable(role: str) -> str:
    """The environment variable that holds a role's IAM role ARN where dbt runs on Athena (the
    stack sets it for the pipeline): regional_analyst -> HEALTHLAKE_REGIONAL_ANALYST_ROLE_ARN."""
    return f"HEALTHLAKE_{role.upper()}_ROLE_ARN"


def filter_name(role: str) -> str:
    """The name of a role's data cell filter on a table (unique per table)."""
    return f"{role}_rows"


def _row_filter_sql(column: str, values: Iterable[str]) -> str:
    # Built as a tree: the policy's values are literals, the column an identifier, never text.
    condition = exp.In(
        this=exp.column(column, quoted=False),
        expressions=[exp.Literal.string(value) for value in values],
    )
    return condition.sql(dialect="athena")


def _tag_expression(
    policies: Policies, role: Role, contracts: list[Contract]
) -> dict[str, tuple[str, ...]]:
    raw = tuple(c for c in CLASSIFICATIONS if c not in role.classification_masks)
    products: list[str] = []
    for contract in contracts:
        readers = {role.name in table.readers for table in contract.tables}
        if readers == {True}:
            products.append(contract.name)
        elif readers == {True, False}:
            raise PolicyInvalidError(
                f"{shown(contract.path)}: role {role.name} reads some of its tables, not all; "
                "Lake Formation grants a role a whole data product (LF-tag data_product): give "
                "its tables the same readers"
            )
        for table in contract.tables:
            for column in table.columns:
                mask = role.mask_for(table.name, column.name, column.classification)
                if mask is not None and column.classification in raw:
                    raise PolicyInvalidError(
                        f"{shown(policies.path)}: $.roles.{role.name}: {table.name}."
                        f"{column.name} is masked ({mask}) but classified "
                        f"{column.classification}, which the role reads as it is; Lake "
                        "Formation grants by classification, so classify the column as one "
                        "the role's policy masks"
                    )
    return {CLASSIFICATION_TAG: raw, DATA_PRODUCT_TAG: tuple(products)}


def role_grants(
    policies: Policies, contracts: Iterable[Contract], models_dir: Path = MODELS_DIR
) -> dict[str, RoleGrants]:
    """What Lake Formation grants each role of the policies, by role name."""
    contracts = list(contracts)
    grants: dict[str, RoleGrants] = {}
    for role in policies.roles.values():
        if role.row_filter is None:
            grants[role.name] = RoleGrants(
                role.name, _tag_expression(policies, role, contracts), {}, ()
            )
            continue
        filters: dict[str, str] = {}
        unserved: list[str] = []
        # The tables the role reads, as the DuckDB publisher sees them: one reading of the policy.
        for table in role_access(role, contracts, models_dir):
            if any(column.mask is not None for column in table.columns):
                unserved.append(table.table)
            elif table.row_filter_column is not None:
                filters[table.table] = _row_filter_sql(
                    table.row_filter_column, table.row_filter_values
                )
        grants[role.name] = RoleGrants(role.name, None, filters, tuple(unserved))
    return grants


def lf_grants(table: str, grants: Mapping[str, RoleGrants]) -> dict[str, Any] | None:
    """dbt-athena's `lf_grants` of one table: a data cell filter per row-filtered role, granted
    to the principal in the role's environment variable (the filters are skipped where it is
    unset: dbt on DuckDB or Trino, or on Athena outside the stack)."""
    filters = {
        filter_name(role.role): {
            "row_filter": role.row_filters[table],
            "principals": [f'{{{{ env_var("{principal_variable(role.role)}", "") }}}}'],
        }
        for role in grants.values()
        if table in role.row_filters
    }
    if not filters:
        return None
    # One switch for the table's filters: every principal must be known to make any.
    enabled = " and ".join(
        f'env_var("{principal_variable(role.role)}", "") != ""'
        for role in grants.values()
        if table in role.row_filters
    )
    return {"data_cell_filters": {"enabled": f"{{{{ {enabled} }}}}", "filters": filters}}


def lf_tag_values(contracts: Iterable[Contract]) -> dict[str, list[str]]:
    """The LF-tags the stack defines: each tag key and its allowed values, in a stable order."""
    products = sorted({contract.name for contract in contracts})
    return {CLASSIFICATION_TAG: list(CLASSIFICATIONS), DATA_PRODUCT_TAG: products}


def lf_tags_config(contract: Contract, table: Table) -> dict[str, Any]:
    """dbt-athena's `lf_tags_config` of one table: its product on the table, and each column's
    classification on the column (in contract order, grouped by value)."""
    by_value: dict[str, list[str]] = {}
    for column in table.columns:
        # validate_document refuses a column without one of CLASSIFICATIONS.
        by_value.setdefault(str(column.classification), []).append(column.name)
    ordered = {value: by_value[value] for value in CLASSIFICATIONS if value in by_value}
    return {
        "enabled": True,
        "tags": {DATA_PRODUCT_TAG: contract.name},
        "tags_columns": {CLASSIFICATION_TAG: ordered},
    }


def model_configs(
    contracts: Iterable[Contract], policies: Policies, models_dir: Path = MODELS_DIR
) -> dict[str, dict[str, Any]]:
    """The Lake Formation config of each product model, by model name."""
    contracts = list(contracts)
    grants = role_grants(policies, contracts, models_dir)
    configs: dict[str, dict[str, Any]] = {}
    for contract in contracts:
        for table in contract.tables:
            config: dict[str, Any] = {"lf_tags_config": lf_tags_config(contract, table)}
            filters = lf_grants(table.name, grants)
            if filters is not None:
                config["lf_grants"] = filters
            configs[table.name] = config
    return configs


@dataclass(frozen=True)
class YmlUpdate:
    """A model yml file and the text it should have."""

    path: Path
    text: str


def _block(contract: Contract, config: dict[str, Any]) -> list[str]:
    source = contract.path.name
    body = yaml.safe_dump(
        {"config": config}, sort_keys=False, default_flow_style=None, width=92
    ).splitlines()
    return [
        MARKER,
        "    # generated by `python -m contracts lakeformation` from contracts/policies.yml and",
        f"    # contracts/{source}",
        *(f"    {line}" for line in body),
    ]


def _with_block(path: Path, text: str, model: str, block: list[str]) -> str:
    lines = text.splitlines()
    try:
        start = lines.index(f"  - name: {model}")
        columns = lines.index(_COLUMNS_LINE, start)
    except ValueError as error:
        raise ContractDriftError(
            f"{shown(path)}: model {model} is not laid out as '  - name: {model}' followed by "
            f"'{_COLUMNS_LINE.strip()}'; the Lake Formation config cannot be placed"
        ) from error
    head = lines[start:columns]
    if MARKER in head:
        head = head[: head.index(MARKER)]
    if any(line.startswith("    config:") for line in head):
        raise ContractDriftError(
            f"{shown(path)}: model {model} has a config: block of its own; the model config "
            "of the products is generated (move it to dbt_project.yml or the contract)"
        )
    return "\n".join([*lines[:start], *head, *block, *lines[columns:]]) + "\n"


def yml_updates(
    contracts: Iterable[Contract], policies: Policies, models_dir: Path = MODELS_DIR
) -> list[YmlUpdate]:
    """The model yml files whose Lake Formation config is not what the contracts give."""
    contracts = list(contracts)
    models = dbt_models(models_dir)
    configs = model_configs(contracts, policies, models_dir)
    texts: dict[Path, str] = {}
    for contract in contracts:
        for table in contract.tables:
            model = models.get(table.name)
            if model is None:
                raise ContractDriftError(
                    f"{contract.path.name}: {table.name}: no dbt model of that name under "
                    "models/omop or gold; run 'just contracts check'"
                )
            path: Path = model["_path"]
            text = texts.get(path, path.read_text(encoding="utf-8"))
            texts[path] = _with_block(path, text, table.name, _block(contract, configs[table.name]))
    return [
        YmlUpdate(path, text)
        for path, text in texts.items()
        if path.read_text(encoding="utf-8") != text
    ]
