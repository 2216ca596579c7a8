"""Shared fixtures: a real warehouse on a temp dir, generated data, a real Iceberg catalog."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pytest
from pyiceberg.catalog import Catalog

from common.paths import DBT_PROJECT_DIR, PROFILES_DIR, REPO_ROOT
from common.ports import free_port
from contracts.model import Contract, contract_paths
from contracts.model import load as load_contract
from contracts.policies import Policies, load_policies
from generators.config import GeneratorConfig
from generators.output import generate
from iceberg.catalog import load_catalog
from iceberg.loaders import LoadReport, load_fhir
from trino_server.catalog_database import _binaries
from trino_server.distribution import TRINO_VERSION, cached_home, find_java
from trino_server.exceptions import TrinoServerError

SHARED_REFERENCE = REPO_ROOT.parent / "shared" / "reference"
# The project's tools, from the environment running the tests (what `uv run` puts on PATH).
JUST = [str(Path(sys.executable).parent / "just")]
DUCKDB_CLI = Path(sys.executable).parent / "duckdb"


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty warehouse folder that every component of this process uses."""
    folder = tmp_path / "warehouse"
    folder.mkdir()
    monkeypatch.setenv("HEALTHLAKE_WAREHOUSE", str(folder))
    return folder


@pytest.fixture
def catalog(warehouse: Path) -> Catalog:
    """A real PyIceberg SQL catalog (SQLite + files) in the temp warehouse."""
    return load_catalog("local", create=True)


@pytest.fixture
def generated(warehouse: Path) -> Path:
    """A small generated dataset in the temp warehouse."""
    out = warehouse / "generated"
    generate(GeneratorConfig(patients=300, seed=7, batch_size=128), out)
    return out


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server on 127.0.0.1 (every AWS service it mocks), its endpoint, and test
    credentials and region in the environment (no AWS profile)."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the moto server did not start within 30 s")
                time.sleep(0.1)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def contracts() -> list[Contract]:
    """Every data contract of the project, loaded and validated."""
    return [load_contract(path) for path in contract_paths()]


@pytest.fixture(scope="session")
def policies() -> Policies:
    """The project's access policies (contracts/policies.yml)."""
    return load_policies()


def trino_unavailable() -> str | None:
    """Why a real Trino cannot be started here, or None when it can. The tests never fetch the
    783 MiB server themselves: `python -m trino_server fetch` (which .ci/run runs) or
    `just trino up` does, once."""
    try:
        find_java()
        _binaries()
    except TrinoServerError as error:
        return str(error)
    if cached_home() is None:
        return f"Trino {TRINO_VERSION} is not fetched; run 'uv run python -m trino_server fetch'"
    return None


# Tests that need a running Trino are skipped with the reason where it cannot be had: no JDK
# 24+, no PostgreSQL, or the server not fetched.
needs_trino = pytest.mark.skipif(
    (reason := trino_unavailable()) is not None, reason=f"no local Trino: {reason}"
)


def run(
    args: list[str], env: dict[str, str] | None = None, cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    """Run a command of the project as a user would, capturing its output."""
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def one_line_error(
    result: subprocess.CompletedProcess[str], *expected: str, exit_code: int = 2
) -> None:
    """The command failed with `exit_code` and one line `error: ...` holding every `expected`."""
    assert result.returncode == exit_code, result.stdout + result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for text in expected:
        assert text in result.stderr


def python_module(
    module: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m module args...` in a fresh interpreter of this environment."""
    return run([sys.executable, "-m", module, *args], env=env)


def query_lakehouse(database: Path, sql: str) -> list[list[str]]:
    """Run SQL with the DuckDB shell: a process separate from the one that built the file."""
    result = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(database), "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    # The CLI quotes a value holding a comma or a quote (JSON text): read it as CSV.
    return [row for row in csv.reader(io.StringIO(result.stdout.strip())) if row]


@pytest.fixture
def isolated_dbt(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment that keeps a dbt run's target/ and logs/ out of the working tree."""
    yield {
        "DBT_TARGET_PATH": str(tmp_path / "dbt_target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt_logs"),
    }


def pipeline_env(root: Path, run_id: str) -> dict[str, str]:
    """Environment of a pipeline run in its own warehouse under `root`, with dbt's target/ and
    logs/ beside it (out of the working tree)."""
    return {
        "HEALTHLAKE_WAREHOUSE": str(root / "warehouse"),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
        "PIPELINE_RUN_ID": run_id,
    }


def ingest_and_build(
    root: Path, run_id: str, exports: Sequence[Sequence[Path]]
) -> tuple[Path, dict[str, str], list[LoadReport]]:
    """Load each export (a list of FHIR files or folders) into a fresh warehouse under `root`,
    one load per export (`ingest-1`, `ingest-2`, ...), and `just build` after each.

    Returns:
        The lakehouse DuckDB file, the environment the builds ran with, the load reports.
    """
    env = pipeline_env(root, run_id)
    reports = []
    for number, export in enumerate(exports, start=1):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("HEALTHLAKE_WAREHOUSE", env["HEALTHLAKE_WAREHOUSE"])
            reports.append(load_fhir(load_catalog(create=True), list(export), f"ingest-{number}"))
        result = run([*JUST, "build"], env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    return root / "warehouse" / "lakehouse.duckdb", env, reports


def dbt_full_refresh(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`dbt build --full-refresh` of the project in the warehouse `env` names."""
    return run(
        ["dbt", "build", "--full-refresh", "--quiet", "--profiles-dir", str(PROFILES_DIR)],
        env=env,
        cwd=DBT_PROJECT_DIR,
    )


def duckdb_file(path: Path, *statements: str) -> Path:
    """A real DuckDB file at `path` made by running `statements` (tables a test controls)."""
    with duckdb.connect(str(path)) as conn:
        for statement in statements:
            conn.execute(statement)
    return path
