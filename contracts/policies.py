"""The access policies of the data products (contracts/policies.yml), typed and validated.

`load_policies` reads the file into `Policies`: the roles, each with its masks (by
classification and by column) and its row filter, `extends` already resolved. Bad input is a
`PolicyInvalidError` of one line naming the file, the path in it and what was expected.
`check_against_contracts` holds the file to the contracts: every role of a contract has a
policy and back, every masked or filtered column exists, a hash only on identifiers.

The DuckDB publisher (contracts/publish.py) and the Athena stack read the same `Policies`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from contracts.exceptions import PolicyInvalidError, UnknownRoleError
from contracts.model import CONTRACTS_DIR, Contract, shown, yaml_mapping

POLICIES_PATH = CONTRACTS_DIR / "policies.yml"
# A `columns` key naming a column of every table that has one.
ANY_TABLE = "*"


class Mask(StrEnum):
    """What a mask does to a column's values (contracts/policies.yml says more)."""

    REDACT = "redact"
    HASH = "hash"
    YEAR = "year"
    ZIP3 = "zip3"
    REMOVE = "remove"


# The logical types each mask takes. A hash is of the value as text, which DuckDB and Trino
# write alike for these two (not for dates or floats).
MASK_TYPES: Mapping[Mask, tuple[str, ...]] = {
    Mask.HASH: ("integer", "string"),
    Mask.YEAR: ("date", "timestamp"),
    Mask.ZIP3: ("string",),
}

Classification = Literal["phi", "pii", "internal", "public"]
# A role's name is part of a file name (warehouse/published/<role>.duckdb) and an IAM role name.
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RowFilterDocument(_Strict):
    values: list[str] = Field(min_length=1)
    columns: dict[str, str] = Field(min_length=1)


class RoleDocument(_Strict):
    description: str = Field(min_length=1)
    extends: str | None = None
    classifications: dict[Classification, Mask] = {}
    columns: dict[str, Mask] = {}
    row_filter: RowFilterDocument | None = None


class PoliciesDocument(_Strict):
    version: Literal[1]
    hash_salt_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    roles: dict[RoleName, RoleDocument] = Field(min_length=1)


@dataclass(frozen=True)
class RowFilter:
    """Rows whose `column` holds one of `values`; `column_by_table` names the column per table.
    A role with a row filter reads only the tables it names."""

    values: tuple[str, ...]
    column_by_table: Mapping[str, str]

    def column(self, table: str) -> str | None:
        """The column that holds the filtered value in `table`, None if the table has none."""
        return self.column_by_table.get(table)


@dataclass(frozen=True)
class Role:
    """One role's policy, `extends` resolved: its own masks over its parent's."""

    name: str
    description: str
    classification_masks: Mapping[str, Mask]
    column_masks: Mapping[str, Mask]
    row_filter: RowFilter | None

    def mask_for(self, table: str, column: str, classification: str | None) -> Mask | None:
        """The mask of `table.column`: by table and column, by column, by classification."""
        for key in (f"{table}.{column}", f"{ANY_TABLE}.{column}"):
            if key in self.column_masks:
                return self.column_masks[key]
        return self.classification_masks.get(classification or "")

    def may_read(self, table: str) -> bool:
        """A role limited to some rows reads only the tables its row filter can filter."""
        return self.row_filter is None or self.row_filter.column(table) is not None

    @property
    def is_unrestricted(self) -> bool:
        """No mask and no row filter: the role sees its tables as they are."""
        return not self.classification_masks and not self.column_masks and not self.row_filter


@dataclass(frozen=True)
class Policies:
    """Every role's policy, and where the hash salt comes from."""

    path: Path
    hash_salt_env: str
    roles: Mapping[str, Role]

    def role(self, name: str) -> Role:
        """The role named `name`; UnknownRoleError (one line, the known roles) otherwise."""
        if name not in self.roles:
            raise UnknownRoleError(
                f"unknown role {name!r}: {shown(self.path)} declares {', '.join(self.roles)}"
            )
        return self.roles[name]


def _fail(path: Path, where: str, what: str) -> PolicyInvalidError:
    return PolicyInvalidError(f"{shown(path)}: {where}: {what}")


def _json_path(location: Iterable[int | str]) -> str:
    where = "$"
    for part in location:
        where += f"[{part}]" if isinstance(part, int) else f".{part}"
    return where


def _first_error(path: Path, error: ValidationError) -> PolicyInvalidError:
    first = error.errors()[0]
    location = list(first["loc"])
    # A bad mapping key is reported by pydantic as the key followed by "[key]".
    if location and location[-1] == "[key]":
        location.pop()
    what = first["msg"]
    if first["type"] == "extra_forbidden":
        what = "no such field"
    elif "input" in first and first["type"] not in ("missing",):
        what = f"{what}, got {first['input']!r}"
    return _fail(path, _json_path(location), what)


def _resolve(path: Path, document: PoliciesDocument) -> dict[str, Role]:
    roles: dict[str, Role] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> Role:
        if name in roles:
            return roles[name]
        own = document.roles[name]
        parent: Role | None = None
        if own.extends is not None:
            if own.extends not in document.roles:
                raise _fail(
                    path,
                    f"$.roles.{name}.extends",
                    f"expected one of {sorted(document.roles)}, got {own.extends!r}",
                )
            if own.extends in chain:
                raise _fail(
                    path,
                    f"$.roles.{name}.extends",
                    f"roles extend each other in a circle ({' -> '.join((*chain, name))})",
                )
            parent = resolve(own.extends, (*chain, name))
        role = Role(
            name=name,
            description=" ".join(own.description.split()),
            classification_masks={
                **(parent.classification_masks if parent else {}),
                **{str(key): mask for key, mask in own.classifications.items()},
            },
            column_masks={**(parent.column_masks if parent else {}), **own.columns},
            row_filter=(
                RowFilter(tuple(own.row_filter.values), dict(own.row_filter.columns))
                if own.row_filter
                else (parent.row_filter if parent else None)
            ),
        )
        roles[name] = role
        return role

    for name in document.roles:
        resolve(name, ())
    return roles


def parse_policies(path: Path, text: str) -> Policies:
    """Validate the text of a policies file; PolicyInvalidError says what is wrong, in one line."""
    raw = yaml_mapping(
        path, text, "a mapping with version, hash_salt_env and roles", PolicyInvalidError
    )
    try:
        document = PoliciesDocument.model_validate(raw)
    except ValidationError as error:
        raise _first_error(path, error) from None
    for name, role in document.roles.items():
        for key in role.columns:
            table, dot, column = key.partition(".")
            if not dot or not table or not column or "." in column:
                raise _fail(
                    path,
                    f"$.roles.{name}.columns",
                    f"expected keys 'table.column' or '*.column', got {key!r}",
                )
    return Policies(path=path, hash_salt_env=document.hash_salt_env, roles=_resolve(path, document))


def load_policies(path: Path = POLICIES_PATH) -> Policies:
    """Read and validate the policies file at `path` (contracts/policies.yml by default)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise _fail(path, "$", f"cannot be read ({error.strerror})") from error
    return parse_policies(path, text)


def check_against_contracts(policies: Policies, contracts: Iterable[Contract]) -> None:
    """Raise PolicyInvalidError on the first policy the contracts contradict: a role one side
    declares and the other not, a masked or filtered column no table has, a mask on a column
    of a type it does not take (MASK_TYPES)."""
    contracts = list(contracts)
    where = shown(policies.path)
    for contract in contracts:
        missing = sorted(set(contract.roles) - set(policies.roles))
        if missing:
            raise PolicyInvalidError(
                f"{where}: $.roles: {shown(contract.path)} declares role {missing[0]!r}, "
                "which has no policy here; add it"
            )
    declared = {role for contract in contracts for role in contract.roles}
    for name in policies.roles:
        if name not in declared:
            raise PolicyInvalidError(
                f"{where}: $.roles.{name}: no contract declares this role; add it to the "
                "contracts' roles or remove it here"
            )
    columns = {
        (table.name, column.name): column
        for contract in contracts
        for table in contract.tables
        for column in table.columns
    }
    column_names = {name for _, name in columns}
    for name, role in policies.roles.items():
        for key, mask in role.column_masks.items():
            table, _, column = key.partition(".")
            known = column in column_names if table == ANY_TABLE else (table, column) in columns
            if not known:
                raise PolicyInvalidError(
                    f"{where}: $.roles.{name}.columns.{key}: no contract has a column {key}"
                )
            takes = MASK_TYPES.get(mask)
            for (t, c), found in columns.items():
                applies = takes and c == column and table in (ANY_TABLE, t)
                if applies and takes and found.logical_type not in takes:
                    raise PolicyInvalidError(
                        f"{where}: $.roles.{name}.columns.{key}: {mask} takes "
                        f"{' or '.join(takes)} columns, {t}.{c} is {found.logical_type}"
                    )
        if role.row_filter is not None:
            for table, column in role.row_filter.column_by_table.items():
                if (table, column) not in columns:
                    raise PolicyInvalidError(
                        f"{where}: $.roles.{name}.row_filter.columns.{table}: no contract has "
                        f"a column {table}.{column}"
                    )
