"""Enforce the policies on DuckDB: one file per role holding only what the role may see.

DuckDB has no access control: whoever opens a file reads every table in it, and a masked view
beside the base tables hides nothing. So `just publish ROLE` writes
`warehouse/published/<role>.duckdb` with the role's masked, filtered copies of the product
tables it may read (schemas omop and gold) and nothing else: no bronze, no silver, no views,
no reference to the lakehouse file. It is written under a temporary name and renamed into
place, so a reader never opens half a file and a failed publish leaves the last good one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from common.paths import warehouse_dir
from contracts.access import TableAccess, role_access
from contracts.exceptions import PublishError
from contracts.masking import role_select, salt_parameters
from contracts.model import Contract, contract_paths, load
from contracts.policies import (
    POLICIES_PATH,
    Mask,
    Policies,
    Role,
    check_against_contracts,
    load_policies,
)
from lakehouse.database import check_unlocked, lakehouse_path

# The local salt, when the environment gives none: made once at random beside the lakehouse
# (warehouse/ is git-ignored), so hashed ids stay the same from one publish to the next.
LOCAL_SALT_FILE = "masking_salt"
# The storage format of the lakehouse itself (profiles/profiles.yml): DuckDB 1.4+ clients (the
# CLI, DBeaver, Harlequin) open a role's file as they open the lakehouse.
STORAGE_COMPATIBILITY_VERSION = "v1.4.0"


@dataclass(frozen=True)
class PublishedTable:
    """One table of a role's file, with its row count."""

    schema: str
    table: str
    rows: int
    masked: int


@dataclass(frozen=True)
class Published:
    """A role's published file and what it holds."""

    role: str
    path: Path
    tables: tuple[PublishedTable, ...]


def published_dir() -> Path:
    """warehouse/published: the role files."""
    return warehouse_dir() / "published"


def needs_salt(tables: Iterable[TableAccess]) -> bool:
    """A hash mask applies to some column of these tables."""
    return any(column.mask is Mask.HASH for table in tables for column in table.visible)


def masking_salt(policies: Policies, warehouse: Path) -> str:
    """The hash salt: the environment variable the policies name, or the warehouse's own.

    The salt is a secret (who knows it can hash a guessed id and find its row), so it is never
    in the repository: in AWS it comes from Secrets Manager, locally from the environment, and
    failing that from `warehouse/masking_salt`, made at random on first use, readable by its
    owner only.
    """
    configured = os.environ.get(policies.hash_salt_env)
    if configured is not None:
        if not configured.strip():
            raise PublishError(
                f"{policies.hash_salt_env} is set but empty; set it to a secret (e.g. "
                f"'openssl rand -hex 32') or unset it to use {warehouse / LOCAL_SALT_FILE}"
            )
        return configured
    path = warehouse / LOCAL_SALT_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_hex(32) + "\n")
    salt = path.read_text(encoding="utf-8").strip()
    if not salt:
        raise PublishError(
            f"{path} is empty; delete it (a new salt is made) or set {policies.hash_salt_env}"
        )
    return salt


def column_types(conn: duckdb.DuckDBPyConnection, access: TableAccess) -> dict[str, str]:
    """The source table's DuckDB column types; PublishError if a contract column is missing."""
    try:
        relation = conn.table(f"{access.schema}.{access.table}")
    except duckdb.CatalogException as error:
        raise PublishError(
            f"the lakehouse has no table {access.schema}.{access.table} ({access.product}); "
            "run 'just build' first"
        ) from error
    types = {name: str(kind) for name, kind in zip(relation.columns, relation.types, strict=True)}
    missing = [column.name for column in access.visible if column.name not in types]
    if missing:
        raise PublishError(
            f"{access.schema}.{access.table} in the lakehouse has no column {missing[0]} that "
            f"its contract ({access.product}) declares; rebuild with 'just build'"
        )
    return types


def _write(
    source: duckdb.DuckDBPyConnection,
    target: duckdb.DuckDBPyConnection,
    tables: list[TableAccess],
    salt: str | None,
) -> list[PublishedTable]:
    written = []
    for schema in sorted({access.schema for access in tables}):
        target.execute(f"create schema {_quoted(schema)}")
    for access in tables:
        select = role_select(access, column_types(source, access))
        rows = source.sql(select.sql(dialect="duckdb"), params=salt_parameters(select, salt))
        # Streamed as Arrow batches from the read-only lakehouse into the role's file: the two
        # files are never attached to each other, so the role's file names nothing outside it.
        name = f"{_quoted(access.schema)}.{_quoted(access.table)}"
        target.from_arrow(rows.to_arrow_reader()).create(name)
        count = target.table(name).shape[0]
        masked = sum(1 for column in access.columns if column.mask is not None)
        written.append(PublishedTable(access.schema, access.table, count, masked))
    return written


def _quoted(identifier: str) -> str:
    return exp.to_identifier(identifier, quoted=True).sql(dialect="duckdb")


def publish_role(
    role: Role,
    policies: Policies,
    contracts: list[Contract],
    source_path: Path,
    out_dir: Path,
) -> Published:
    """Write `out_dir/<role>.duckdb` from the lakehouse at `source_path`."""
    tables = role_access(role, contracts)
    salt = masking_salt(policies, source_path.parent) if needs_salt(tables) else None
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{role.name}.duckdb"
    working = out_dir / f".{role.name}.{os.getpid()}.publishing.duckdb"
    try:
        with (
            duckdb.connect(str(source_path), read_only=True) as source,
            duckdb.connect(
                str(working),
                config={"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION},
            ) as target,
        ):
            written = _write(source, target, tables, salt)
            target.execute("checkpoint")
        working.replace(final)
    finally:
        for leftover in (working, working.with_name(working.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return Published(role.name, final, tuple(written))


def publish(
    role_names: list[str],
    policies_path: Path = POLICIES_PATH,
    source_path: Path | None = None,
    out_dir: Path | None = None,
) -> list[Published]:
    """Publish each named role (every role when none is named). Every name and the policies are
    checked before anything is written: an unknown role publishes nothing."""
    policies = load_policies(policies_path)
    roles = [policies.role(name) for name in role_names] or list(policies.roles.values())
    contracts = [load(path) for path in contract_paths()]
    check_against_contracts(policies, contracts)
    source = source_path or lakehouse_path()
    if not source.exists():
        raise PublishError(f"no lakehouse at {source}; run 'just build' first")
    check_unlocked(source)
    out = out_dir or published_dir()
    return [publish_role(role, policies, contracts, source, out) for role in roles]
