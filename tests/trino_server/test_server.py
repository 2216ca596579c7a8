"""The local Trino: its command line, the pinned download, and a real server over a real
PostgreSQL catalog shared with PyIceberg (`just trino up|status|down`).

The tests that need a running Trino are skipped, with the reason printed, where it cannot be
had: no JDK 24+, no PostgreSQL, or the server cannot be fetched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from common.ports import free_port
from tests.conftest import JUST, needs_trino, one_line_error, python_module, run
from trino_server.distribution import (
    TRINO_SHA256,
    _java_major,
    server_home,
)
from trino_server.exceptions import DownloadError


def test_a_tarball_that_is_not_the_pinned_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALTHLAKE_TRINO_CACHE", str(tmp_path))
    (tmp_path / "trino-server-476.tar.gz").write_bytes(b"not the server")
    with pytest.raises(DownloadError, match=TRINO_SHA256):
        server_home(say=lambda line: None)
    assert not (tmp_path / "trino-server-476").exists()


def test_a_jdk_is_told_by_its_release_file(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").touch()
    (tmp_path / "release").write_text('IMPLEMENTOR="x"\nJAVA_VERSION="17.0.9"\n', "utf-8")
    assert _java_major(tmp_path) == 17
    assert _java_major(tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["start"], {}, "invalid choice: 'start'"),
        (["up"], {"HEALTHLAKE_TRINO_PORT": "80; true"}, "HEALTHLAKE_TRINO_PORT='80; true'"),
        (["up"], {"HEALTHLAKE_TRINO_CATALOG_PORT": "99999"}, "is not a port"),
    ],
)
def test_bad_input_is_one_line(args: list[str], env: dict[str, str], expected: str) -> None:
    one_line_error(python_module("trino_server", *args, env=env), expected)


def test_a_trino_build_without_trino_says_how_to_start_it(tmp_path: Path) -> None:
    port = str(free_port())
    result = python_module(
        "lakehouse",
        "build",
        "trino",
        env={"HEALTHLAKE_WAREHOUSE": str(tmp_path), "HEALTHLAKE_TRINO_PORT": port},
    )
    one_line_error(result, f"no Trino answers at http://127.0.0.1:{port}", "just trino up")


def test_loading_into_the_trino_catalog_before_up_says_to_start_it(tmp_path: Path) -> None:
    result = python_module(
        "iceberg",
        "ingest-fhir",
        "tests/fixtures/fhir/export_like",
        "--catalog",
        "trino",
        env={"HEALTHLAKE_WAREHOUSE": str(tmp_path), "HEALTHLAKE_TRINO_CATALOG_PORT": "1"},
    )
    one_line_error(result, "catalog 'trino' cannot be reached", "'just trino up'")


def test_status_says_down_when_nothing_runs(tmp_path: Path) -> None:
    result = run([*JUST, "trino", "status"], env={"HEALTHLAKE_WAREHOUSE": str(tmp_path)})
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith(f"trino: down (state {tmp_path / 'trino'}")


@needs_trino
def test_up_status_down_over_a_catalog_pyiceberg_shares(tmp_path: Path) -> None:
    env = {
        "HEALTHLAKE_WAREHOUSE": str(tmp_path / "warehouse"),
        "HEALTHLAKE_TRINO_PORT": str(free_port()),
        "HEALTHLAKE_TRINO_CATALOG_PORT": str(free_port()),
    }
    try:
        up = run([*JUST, "trino", "up"], env=env)
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"http://127.0.0.1:{env['HEALTHLAKE_TRINO_PORT']}" in up.stdout
        status = run([*JUST, "trino", "status"], env=env)
        assert status.returncode == 0 and ": up at http://127.0.0.1:" in status.stdout
        # A table PyIceberg commits to the shared catalog is a table Trino reads.
        loaded = python_module(
            "iceberg",
            "ingest-fhir",
            "tests/fixtures/fhir/export_like",
            "--catalog",
            "trino",
            env=env,
        )
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        import trino

        connection = trino.dbapi.connect(
            host="127.0.0.1", port=int(env["HEALTHLAKE_TRINO_PORT"]), user="t", catalog="iceberg"
        )
        cursor = connection.cursor()
        cursor.execute("select count(*) > 0 from bronze.fhir_patient")
        assert cursor.fetchall() == [[True]]
        connection.close()
        again = run([*JUST, "trino", "up"], env=env)
        assert again.returncode == 0 and "already running" in again.stdout
        down = run([*JUST, "trino", "down"], env=env)
        assert down.returncode == 0, down.stdout + down.stderr
        assert down.stdout.startswith("stopped trino (process ")
        assert run([*JUST, "trino", "status"], env=env).returncode == 3
        # Straight up again: the port the stopped server's connections linger on is its own.
        restarted = run([*JUST, "trino", "up"], env=env)
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    finally:
        run([*JUST, "trino", "down"], env=env)
        # Under root the catalog's data may live outside the temp folder (catalog_database.py).
        elsewhere = tmp_path / "warehouse" / "trino" / "catalog_db" / "data-location"
        if elsewhere.exists():
            shutil.rmtree(Path(elsewhere.read_text(encoding="utf-8").strip()).parent)


@needs_trino
@pytest.mark.dbt
def test_every_model_on_trino_equals_duckdb(tmp_path: Path) -> None:
    result = run([*JUST, "parity", "--engine", "trino", "--workdir", str(tmp_path)])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    lines = result.stdout.splitlines()
    summary = [line for line in lines if "built on Trino 476 over Iceberg:" in line]
    assert len(summary) == 1
    # "62 models built on Trino 476 over Iceberg: 62 equal to DuckDB (100%), 0 listed differences"
    words = summary[0].replace(":", "").split()
    models, equal, listed = int(words[0]), int(words[8]), int(words[-3])
    assert models >= 50 and equal + listed == models, summary[0]
    tests = [line for line in lines if line.startswith("data tests:")]
    assert len(tests) == 1 and " of 0 " not in tests[0], tests
    assert "tests whose outcome differs between the engines: 0" in lines
