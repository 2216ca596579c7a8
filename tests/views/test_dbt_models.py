"""ViewDefinitions in dbt_project/fhir_views/ become dbt models: generated, kept up to date,
and a view dropped in the folder is a model of the project (dbt parse sees it)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, one_line_error, run

PYTHON = sys.executable
VIEW = {
    "resourceType": "ViewDefinition",
    "name": "dropped_in",
    "resource": "Immunization",
    "description": "One row per immunization.",
    "select": [
        {
            "column": [
                {
                    "name": "id",
                    "path": "getResourceKey()",
                    "type": "string",
                    "description": "The Immunization's id.",
                },
                {
                    "name": "patient_id",
                    "path": "patient.getReferenceKey(Patient)",
                    "type": "string",
                },
                {"name": "vaccine_code", "path": "vaccineCode.coding.code.first()", "type": "code"},
            ]
        }
    ],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "dbt_project"
    shutil.copytree(
        REPO_ROOT / "dbt_project",
        copy,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    return copy


def generate(project: Path, *flags: str) -> tuple[int, str, str]:
    result = run([PYTHON, "-m", "views.dbt_models", "--project-dir", str(project), *flags])
    return result.returncode, result.stdout, result.stderr


def test_the_checked_in_models_are_what_the_views_give() -> None:
    result = run([PYTHON, "-m", "views.dbt_models", "--check"])
    assert result.returncode == 0, result.stderr


def test_a_dropped_view_becomes_a_model_dbt_sees(project: Path, tmp_path: Path) -> None:
    (project / "fhir_views" / "dropped_in.json").write_text(json.dumps(VIEW), encoding="utf-8")
    assert generate(project, "--check")[0] == 1  # stale until generated
    assert generate(project)[0] == 0
    assert generate(project, "--check")[0] == 0
    macro = (project / "macros" / "fhir_views" / "fhir_view__dropped_in.sql").read_text()
    assert "default__fhir_view__dropped_in" in macro and "athena__fhir_view__dropped_in" in macro
    assert "JSON_EXTRACT_SCALAR" in macro and "LIST_TRANSFORM" in macro
    target = tmp_path / "target"
    result = run(
        [
            "dbt",
            "parse",
            "--target",
            "lint",
            "--profiles-dir",
            str(REPO_ROOT / "profiles"),
            "--project-dir",
            str(project),
        ],
        env={"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(tmp_path / "logs")},
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    model = nodes["model.healthlake.stg_fhir_view__dropped_in"]
    assert (model["alias"], model["schema"]) == ("fhir_view_dropped_in", "silver")
    assert list(model["columns"]) == ["id", "patient_id", "vaccine_code"]
    assert model["columns"]["id"]["description"] == "The Immunization's id."


def test_a_removed_view_takes_its_files_with_it(project: Path) -> None:
    view_file = project / "fhir_views" / "dropped_in.json"
    view_file.write_text(json.dumps(VIEW), encoding="utf-8")
    assert generate(project)[0] == 0
    view_file.unlink()
    assert generate(project, "--check")[0] == 1
    assert generate(project)[0] == 0
    assert not (project / "macros" / "fhir_views" / "fhir_view__dropped_in.sql").exists()
    assert not list((project / "models" / "staging" / "fhir_views").glob("*dropped_in*"))


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ({**VIEW, "name": "other_name"}, "name the file other_name.json"),
        (
            {**VIEW, "select": [{"column": [{"name": "x", "path": "nmae"}]}]},
            "Immunization has no element 'nmae'",
        ),
        (
            {
                **VIEW,
                "constant": [{"name": "c", "valueString": "{% endraw %}"}],
                "where": [{"path": "status = %c"}],
            },
            "Jinja endraw",
        ),
    ],
)
def test_views_dbt_cannot_build_safely_are_refused(project: Path, view: dict, message: str) -> None:
    (project / "fhir_views" / "dropped_in.json").write_text(json.dumps(view), encoding="utf-8")
    code, _, stderr = generate(project)
    assert code == 2 and message in stderr and stderr.count("\n") == 1, stderr


def test_jinja_in_a_view_string_stays_literal(project: Path) -> None:
    view = {
        **VIEW,
        "constant": [{"name": "c", "valueString": "{{ exec('rm -rf') }}"}],
        "where": [{"path": "status != %c"}],
    }
    (project / "fhir_views" / "dropped_in.json").write_text(json.dumps(view), encoding="utf-8")
    assert generate(project)[0] == 0
    macro = (project / "macros" / "fhir_views" / "fhir_view__dropped_in.sql").read_text()
    assert "{% raw %}" in macro and "'{{ exec(''rm -rf'') }}'" in macro


def test_a_bad_view_file_is_one_line(project: Path) -> None:
    (project / "fhir_views" / "broken.json").write_text("{nope", encoding="utf-8")
    one_line_error(
        run([PYTHON, "-m", "views.dbt_models", "--project-dir", str(project)]),
        "broken.json: not JSON",
    )
