"""Load a contract: the ODCS v3 JSON schema first, then the references the schema cannot see."""

from __future__ import annotations

import importlib.resources
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from common.paths import REPO_ROOT
from contracts.exceptions import ContractError, ContractInvalidError

CONTRACTS_DIR = REPO_ROOT / "contracts"
CLASSIFICATIONS = ("phi", "pii", "internal", "public")
# The custom property of a schema object that lists the roles that may read it.
READERS_PROPERTY = "readers"


@dataclass(frozen=True)
class Column:
    """One property of a table, as the contract declares it."""

    name: str
    logical_type: str | None
    physical_type: str | None
    description: str
    classification: str | None
    primary_key_position: int | None


@dataclass(frozen=True)
class Table:
    """One schema object of a contract."""

    name: str
    description: str
    columns: tuple[Column, ...]
    # The roles that may read the table (its `readers` custom property).
    readers: tuple[str, ...] = ()

    @property
    def primary_key(self) -> tuple[str, ...]:
        """The primary key's columns, in key order."""
        keyed = [c for c in self.columns if c.primary_key_position is not None]
        return tuple(c.name for c in sorted(keyed, key=lambda c: c.primary_key_position or 0))


@dataclass(frozen=True)
class Contract:
    """A validated contract."""

    path: Path
    id: str
    name: str
    version: str
    tables: tuple[Table, ...]
    roles: tuple[str, ...]


def contract_paths() -> list[Path]:
    """Every contract of the repository, by name."""
    return sorted(CONTRACTS_DIR.glob("*.odcs.yaml"))


@cache
def _validator() -> Any:
    text = (
        importlib.resources.files("open_data_contract_standard")
        .joinpath("schema.json")
        .read_text(encoding="utf-8")
    )
    schema = json.loads(text)
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def _expected(error: jsonschema.ValidationError) -> str:
    """What the schema expected, in words, from the deepest error of the best match."""
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return f"no such field: {error.message}"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {error.instance!r}"
    if error.validator == "enum":
        return f"expected one of {error.validator_value}, got {error.instance!r}"
    if error.validator == "required":
        return error.message
    return error.message


def _fail(path: Path, where: str, what: str) -> ContractInvalidError:
    return ContractInvalidError(f"{shown(path)}: {where}: {what}")


def shown(path: Path) -> str:
    """A path as errors show it: relative to the repository when it is inside."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def validate_document(path: Path, document: Any) -> None:
    """Raise ContractInvalidError on the first schema violation or broken reference."""
    errors = list(_validator().iter_errors(document))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        # A failing oneOf/anyOf/if-then hides the real cause in its context: take the deepest.
        while best.context:
            best = jsonschema.exceptions.best_match(best.context)
        raise _fail(path, best.json_path, _expected(best))
    roles = {role["role"] for role in document.get("roles", [])}
    for i, table in enumerate(document.get("schema", [])):
        at = f"$.schema[{i}]"
        names = [column["name"] for column in table.get("properties", [])]
        if len(set(names)) != len(names):
            raise _fail(path, f"{at}.properties", "expected each column name once")
        positions: list[int] = []
        for j, column in enumerate(table.get("properties", [])):
            where = f"{at}.properties[{j}]"
            classification = column.get("classification")
            if classification not in CLASSIFICATIONS:
                raise _fail(
                    path,
                    f"{where}.classification",
                    f"expected one of {list(CLASSIFICATIONS)}, got {classification!r}",
                )
            if column.get("primaryKey"):
                positions.append(column.get("primaryKeyPosition", 1))
            elif "primaryKeyPosition" in column:
                raise _fail(
                    path, f"{where}.primaryKeyPosition", "expected primaryKey: true beside it"
                )
        if sorted(positions) != list(range(1, len(positions) + 1)):
            raise _fail(
                path,
                f"{at}.properties",
                f"expected primaryKeyPosition 1..{len(positions)}, got {sorted(positions)}",
            )
        for k, custom in enumerate(table.get("customProperties", [])):
            if custom.get("property") == READERS_PROPERTY:
                for reader in custom.get("value") or []:
                    if reader not in roles:
                        raise _fail(
                            path,
                            f"{at}.customProperties[{k}].value",
                            f"role {reader!r} is not declared in $.roles ({sorted(roles)})",
                        )
        for k, rel in enumerate(table.get("relationships", [])):
            for end in ("from", "to"):
                ref = rel.get(end)
                if isinstance(ref, str) and "." in ref and _column_missing(document, ref):
                    raise _fail(path, f"{at}.relationships[{k}].{end}", f"{ref!r} names no column")


def _column_missing(document: Any, ref: str) -> bool:
    table, _, column = ref.partition(".")
    for obj in document.get("schema", []):
        if obj.get("name") == table:
            return column not in {c["name"] for c in obj.get("properties", [])}
    return True


def yaml_mapping(
    path: Path, text: str, expected: str, error: type[ContractError]
) -> dict[str, Any]:
    """The YAML text of a file of ours (a contract, the policies) as a mapping; else `error`
    naming the file: not YAML (the parser's message on one line), or not a mapping (`expected`
    says what it should be)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        message = " ".join(str(problem).split())
        raise error(f"{shown(path)}: $: not YAML: {message}") from problem
    if not isinstance(document, dict):
        raise error(f"{shown(path)}: $: expected {expected}")
    return document


def parse(path: Path, text: str) -> Contract:
    """Validate a contract's text and return it; ContractInvalidError says what is wrong."""
    document = yaml_mapping(
        path, text, "a mapping (an ODCS v3 data contract)", ContractInvalidError
    )
    validate_document(path, document)
    tables = tuple(
        Table(
            name=obj["name"],
            description=obj.get("description", ""),
            columns=tuple(
                Column(
                    name=p["name"],
                    logical_type=p.get("logicalType"),
                    physical_type=p.get("physicalType"),
                    description=p.get("description", ""),
                    classification=p.get("classification"),
                    primary_key_position=p.get("primaryKeyPosition", 1)
                    if p.get("primaryKey")
                    else None,
                )
                for p in obj.get("properties", [])
            ),
            readers=tuple(
                reader
                for custom in obj.get("customProperties", [])
                if custom.get("property") == READERS_PROPERTY
                for reader in custom.get("value") or []
            ),
        )
        for obj in document.get("schema", [])
    )
    return Contract(
        path=path,
        id=document["id"],
        name=str(document.get("name", document["id"])),
        version=document["version"],
        tables=tables,
        roles=tuple(role["role"] for role in document.get("roles", [])),
    )


def load(path: Path) -> Contract:
    """Read and validate the contract file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise _fail(path, "$", f"cannot be read ({error.strerror})") from error
    return parse(path, text)
