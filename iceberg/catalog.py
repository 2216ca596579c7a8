"""Catalog access from one config file: `profiles/catalogs.yml`, entries chosen by name.

Loaders, the dbt plugin and the maintenance commands all get their catalog from `load_catalog`,
so they work the same against the local SQLite catalog and against Glue.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pyiceberg.catalog import Catalog
from pyiceberg.catalog import load_catalog as _pyiceberg_load_catalog
from sqlalchemy.exc import OperationalError

from common.paths import PROFILES_DIR, REPO_ROOT, warehouse_dir
from iceberg.exceptions import CatalogConfigError, CatalogMissingError, CatalogUnreachableError

CATALOGS_FILE = PROFILES_DIR / "catalogs.yml"
BRONZE = "bronze"

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")


def _substitute(value: str, name: str) -> str:
    def replace(match: re.Match[str]) -> str:
        variable = match.group("name")
        if variable == "HEALTHLAKE_WAREHOUSE":
            return str(warehouse_dir())
        default = match.group("default")
        found = os.environ.get(variable) or default
        # `${VAR:-}` makes a setting optional; `${VAR}` requires it.
        if found is None or (found == "" and default is None):
            raise CatalogConfigError(
                f"catalog {name!r} needs the environment variable {variable} "
                f"(see {_shown_path(CATALOGS_FILE)}); set it and try again"
            )
        return found

    return _VARIABLE.sub(replace, value)


def _shown_path(path: Path) -> str:
    """`profiles/catalogs.yml` when the file is in this repository, else its full path."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def catalog_properties(name: str) -> dict[str, str]:
    """The PyIceberg properties of catalog `name`, with environment variables filled in."""
    shown = _shown_path(CATALOGS_FILE)
    try:
        entries: Any = yaml.safe_load(CATALOGS_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CatalogConfigError(f"{shown} is missing; restore it from git") from error
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise CatalogConfigError(
            f"{shown}{line} is not valid YAML; fix it or restore it from git"
        ) from error
    if not isinstance(entries, dict):
        raise CatalogConfigError(
            f"{shown} defines no catalogs (it must map names such as local and glue to "
            "their settings); restore it from git"
        )
    if name not in entries:
        known = ", ".join(sorted(str(key) for key in entries))
        raise CatalogConfigError(
            f"unknown catalog {name!r}; {shown} defines: {known}; "
            "choose one of them or add an entry"
        )
    settings = entries[name]
    if not isinstance(settings, dict) or not settings:
        raise CatalogConfigError(
            f"catalog {name!r} in {shown} has no settings (PyIceberg catalog settings such as "
            "type: sql, uri, warehouse); see the local and glue entries"
        )
    properties = {key: _substitute(str(value), name) for key, value in settings.items()}
    return {key: value for key, value in properties.items() if value != ""}


def sqlite_path(properties: dict[str, str]) -> Path | None:
    """The SQLite file of a SQL catalog, or None for other catalogs."""
    uri = properties.get("uri", "")
    if properties.get("type") == "sql" and uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///"))
    return None


def load_catalog(name: str = "local", *, create: bool = False) -> Catalog:
    """Open catalog `name` from `profiles/catalogs.yml`.

    Args:
        name: the catalog's entry in the config file (`local`, `glue`).
        create: make the local SQLite catalog if it does not exist yet (writers do; readers
            must not, so that a reader run before any load says so instead of finding nothing).

    Raises:
        CatalogConfigError: the name is unknown or a setting it needs is not set.
        CatalogMissingError: the local catalog does not exist and `create` is False.
        CatalogUnreachableError: a SQL catalog's database server does not answer.
    """
    properties = catalog_properties(name)
    database = sqlite_path(properties)
    if database is not None:
        if not database.exists() and not create:
            raise CatalogMissingError(
                f"no Iceberg catalog at {database}; run 'just load' (or 'just run-local') first"
            )
        database.parent.mkdir(parents=True, exist_ok=True)
        warehouse = properties.get("warehouse", "")
        if warehouse.startswith("file://"):
            Path(warehouse.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    try:
        return _pyiceberg_load_catalog(name, **properties)
    except OperationalError as error:
        # PyIceberg's SQL catalog connects when it is opened; a server that is down is the
        # user's to start (the `trino` catalog's database: `just trino up`).
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise CatalogUnreachableError(
            f"catalog {name!r} cannot be reached ({reason}); start its database server (for "
            f"the trino catalog: 'just trino up') or fix its uri in {_shown_path(CATALOGS_FILE)}"
        ) from error
