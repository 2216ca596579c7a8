"""The front door: no justfile recipe lets an argument run as shell code.

Every argument position of every recipe that takes arguments gets one payload holding each
injection form (`$(...)`, backticks, `; ...`, and a quote that closes a quoted word), each
touching its own marker file. Whatever the recipe does with the value (it may well fail with a
one-line error), no marker may appear: not in the temp folder, the working directory or the
repository. The other positional values are chosen so that a recipe fails fast (a count of 0,
a flag that does not exist), so no recipe does slow work, before or after the change.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

import pytest

from common.defaults import DEFAULT_PATIENTS, DEFAULT_SEED
from tests.conftest import JUST, REPO_ROOT, run

INJECT = "INJECT"
# Per recipe, the argument lists to try; INJECT is replaced by the payload.
POSITIONS: dict[str, list[list[str]]] = {
    "run-local": [[INJECT, "0"], ["0", INJECT]],
    "generate": [[INJECT, "0"], ["0", INJECT], ["0", "1", INJECT]],
    "bench": [[INJECT, "0"], ["0", INJECT]],
    "load": [[INJECT], ["--catalog", INJECT]],
    "ingest-fhir": [[INJECT], ["missing", INJECT]],
    "snapshots": [[INJECT], ["fhir_patient", INJECT]],
    "read-bronze": [[INJECT], ["fhir_patient", INJECT]],
    "maintain": [[INJECT], ["10", INJECT]],
    "bench-bronze": [[INJECT, "x"], ["x", INJECT]],
    "build": [[INJECT]],
    "view": [[INJECT, "x"], ["/no/such/view.json", INJECT], ["/no/such/view.json", "x", INJECT]],
    "view-tests": [[INJECT], ["/no/such/tests", INJECT]],
    "bench-views": [[INJECT, "x"], ["x", INJECT]],
    "bench-pipeline": [[INJECT, "x"], ["x", INJECT], ["10", "--json", INJECT]],
    "trino": [[INJECT]],
    "contracts": [[INJECT], ["check", INJECT], ["diff", "--against", INJECT, INJECT]],
    "publish": [[INJECT], ["analyst", INJECT]],
    "access": [[INJECT]],
    "parity": [[INJECT, "--no-such-flag"], ["--no-such-flag", INJECT]],
    "learn": [[INJECT], ["show", INJECT], ["check", INJECT]],
    "test": [[INJECT, "/no/such/test/path"], ["/no/such/test/path", INJECT]],
    "synth": [[INJECT]],
    "deploy": [[INJECT]],
}
FORMS = ("dollar", "backtick", "semicolon", "quote")


def _payload(markers: Path) -> str:
    """One value holding every injection form, each touching markers/pwned-<form>."""
    touch = {form: f"touch {markers / f'pwned-{form}'}" for form in FORMS}
    return (
        f"x$({touch['dollar']})`{touch['backtick']}`"
        f'"; {touch["quote"]}; echo "'
        f"; {touch['semicolon']}"
    )


def _markers(*folders: Path) -> list[Path]:
    return [path for folder in folders if folder.is_dir() for path in folder.glob("pwned-*")]


def _recipes() -> dict[str, Any]:
    recipes: dict[str, Any] = json.loads(run([*JUST, "--dump", "--dump-format", "json"]).stdout)[
        "recipes"
    ]
    return recipes


def test_every_recipe_with_arguments_is_covered() -> None:
    recipes = _recipes()
    assert {name for name, recipe in recipes.items() if recipe["parameters"]} == set(POSITIONS)


@pytest.mark.parametrize("recipe", ["generate", "run-local"])
def test_the_run_size_defaults_are_the_projects(recipe: str) -> None:
    # `just --list` shows these literally; they must be the ones common/defaults.py gives the
    # generator and the AWS pipeline.
    defaults = {p["name"]: p["default"] for p in _recipes()[recipe]["parameters"]}
    assert (defaults["patients"], defaults["seed"]) == (str(DEFAULT_PATIENTS), str(DEFAULT_SEED))


@pytest.mark.parametrize("recipe", sorted(POSITIONS))
def test_no_argument_runs_as_shell_code(recipe: str, tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {"HEALTHLAKE_WAREHOUSE": str(tmp_path / "warehouse")}
    payload = _payload(tmp_path)
    for arguments in POSITIONS[recipe]:
        argv = [payload if value == INJECT else value for value in arguments]
        result = run(
            [*JUST, "--justfile", str(REPO_ROOT / "justfile"), recipe, *argv], env=env, cwd=cwd
        )
        found = _markers(tmp_path, cwd, REPO_ROOT, REPO_ROOT / "infra")
        for marker in found:
            if marker.is_relative_to(REPO_ROOT):
                marker.unlink()
        assert found == [], f"just {recipe} {arguments}: {result.stderr}"
        assert result.returncode != 0, f"just {recipe} {arguments} succeeded: {result.stdout}"
        assert "Traceback" not in result.stderr, result.stderr
        if recipe == "test":
            # Refused by the argument check, before the minute of lint.
            assert "file or directory not found" in result.stderr, result.stderr


def test_a_folder_named_dollar_export_ingests(tmp_path: Path) -> None:
    export = tmp_path / "bulk 'data'; x" / "$export"
    export.mkdir(parents=True)
    (export / "Patient.ndjson").write_text('{"resourceType": "Patient", "id": "p1"}\n')
    env = {"HEALTHLAKE_WAREHOUSE": str(tmp_path / "warehouse")}
    result = run([*JUST, "ingest-fhir", str(export)], env=env)
    assert result.returncode == 0, result.stderr
    assert "bronze.fhir_patient: 1 rows from 1 file(s)" in result.stdout
    assert f"ingested {export} into catalog" in result.stdout


def test_an_empty_argument_stays_an_argument(tmp_path: Path) -> None:
    env = {"HEALTHLAKE_WAREHOUSE": str(tmp_path / "warehouse")}
    generated = run([*JUST, "generate", "", "42"], env=env)
    assert generated.returncode == 2
    assert generated.stderr == "error: patient count must be a positive integer, got ''\n"
    assert not (tmp_path / "warehouse" / "generated").exists()
    ingested = run([*JUST, "ingest-fhir", ""], env=env)
    assert ingested.returncode == 2
    assert ingested.stderr.count("\n") == 1
    assert "'' is an empty path" in ingested.stderr


def test_defaults_and_flags_pass_through(tmp_path: Path) -> None:
    env = {"HEALTHLAKE_WAREHOUSE": str(tmp_path / "warehouse")}
    generated = run([*JUST, "generate", "5", "1", "--only", "Patient"], env=env)
    assert generated.returncode == 0, generated.stderr
    assert "generated 5 patients (seed 1)" in generated.stdout
    loaded = run([*JUST, "load"], env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "bronze.fhir_patient: 5 rows" in loaded.stdout
    listed = run([*JUST, "snapshots", "fhir_patient"], env=env)
    assert listed.returncode == 0, listed.stderr


@pytest.mark.parametrize("recipe", ["synth", "deploy"])
@pytest.mark.parametrize("stage", ["Dev", "dev_1", "", "-x", "a" * 32, "../prod"])
def test_a_stage_must_be_a_name(recipe: str, stage: str) -> None:
    result = run([*JUST, recipe, stage])
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: stage '{stage}' is not a stage name")
    assert result.stderr.count("\n") == 1


def test_build_refuses_an_unknown_target() -> None:
    result = run([*JUST, "build", "duckdb; true"])
    assert result.returncode == 2
    assert result.stderr == "error: unknown target 'duckdb; true'; use duckdb, trino or athena\n"


@pytest.mark.parametrize(
    ("arguments", "argv"),
    [
        (["generate"], "-m generators generate 10000 42 --out {w}/generated"),
        (
            ["generate", "5", "1", "--only", "a b"],
            "-m generators generate 5 1 --out {w}/generated --only 'a b'",
        ),
        (["bench"], "-m generators bench 10000 100000 1000000 --work-dir {w}/bench"),
        (["bench", "7"], "-m generators bench 7 --work-dir {w}/bench"),
        (["bench-bronze"], "-m lakehouse.bench 10000 1000000"),
        (["load"], "-m iceberg load --from {w}/generated"),
        (
            ["load", "glue", "--force"],
            "-m iceberg load --from {w}/generated --catalog glue --force",
        ),
        (["maintain"], "-m iceberg maintain --keep 10"),
        (
            ["maintain", "3", "--orphan-age-minutes", "0"],
            "-m iceberg maintain --keep 3 --orphan-age-minutes 0",
        ),
        (["snapshots", "fhir_patient"], "-m iceberg snapshots fhir_patient"),
        (["read-bronze", "t", "--run", "r"], "-m iceberg read t --run r"),
        (["ingest-fhir", "a b"], "-m iceberg ingest-fhir 'a b'"),
        (["parity"], "scripts/parity.py"),
        (["learn"], "-m exercises"),
        (["learn", "check", "a b"], "-m exercises check 'a b'"),
        (["publish"], "-m contracts publish"),
        (["publish", "analyst", "a b"], "-m contracts publish analyst 'a b'"),
        (["access", "a b"], "-m contracts access 'a b'"),
    ],
)
def test_defaults_and_arguments_reach_the_program_as_they_are(
    arguments: list[str], argv: str, tmp_path: Path
) -> None:
    # A stand-in `python` prints the argv it was given, one entry per line.
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "python").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    (stub / "python").chmod(0o755)
    warehouse = tmp_path / "warehouse"
    env = {"PATH": f"{stub}:{os.environ['PATH']}", "HEALTHLAKE_WAREHOUSE": str(warehouse)}
    result = run([*JUST, *arguments], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == shlex.split(argv.format(w=warehouse))
