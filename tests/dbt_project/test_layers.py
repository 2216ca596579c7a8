"""The dbt project's layout rules: the graph runs one way (sources -> staging -> intermediate ->
omop -> gold; ops reads any layer and feeds none), read from the manifest `dbt parse` writes, so
a ref that points backwards fails here before it confuses a reader (docs/architecture.md draws
the same graph); each model's YAML sits beside its SQL; one macro per file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, run

# What each layer may read. A layer reads its own layer (omop.condition_era reads
# omop.condition_occurrence), the layers before it and seeds (reference data); it skips ahead
# only where nothing of the layer between applies. Gold is built from the CDM: FHIR-only facts
# reach it through an intermediate model (int_patients_identified), never from staging.
ALLOWED_UPSTREAM: dict[str, set[str]] = {
    "staging": {"source", "seed"},
    "intermediate": {"staging", "intermediate", "seed"},
    "omop": {"staging", "intermediate", "omop", "seed"},
    "gold": {"intermediate", "omop", "gold", "seed"},
    "ops": {"staging", "intermediate", "omop", "gold", "ops", "seed"},
}


def layer(node: dict[str, Any]) -> str:
    """The layer of a manifest node: `source`, `seed`, or the models/ folder it sits in."""
    if node["resource_type"] in {"source", "seed"}:
        return str(node["resource_type"])
    return str(node["fqn"][1])


def layer_violations(manifest: dict[str, Any]) -> list[str]:
    """One line per edge of the project's model graph that the layer rules refuse."""
    nodes = {**manifest["nodes"], **manifest["sources"]}
    violations = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["package_name"] != "healthlake":
            continue
        own = layer(node)
        if own not in ALLOWED_UPSTREAM:
            violations.append(f"{node['name']}: models/{own}/ is not a layer")
            continue
        for upstream_id in node["depends_on"]["nodes"]:
            upstream = nodes[upstream_id]
            if layer(upstream) not in ALLOWED_UPSTREAM[own]:
                violations.append(
                    f"{own} model {node['name']} reads {layer(upstream)} {upstream['name']}"
                )
    return violations


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("dbt_parse")
    result = run(
        ["dbt", "parse", "--target", "lint", "--profiles-dir", str(REPO_ROOT / "profiles")],
        env={"DBT_TARGET_PATH": str(target / "target"), "DBT_LOG_PATH": str(target / "logs")},
        cwd=REPO_ROOT / "dbt_project",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest: dict[str, Any] = json.loads(Path(target / "target" / "manifest.json").read_text())
    return manifest


def test_no_model_reads_a_later_layer(manifest: dict[str, Any]) -> None:
    assert layer_violations(manifest) == []


def test_only_staging_reads_sources(manifest: dict[str, Any]) -> None:
    readers = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and any(upstream.startswith("source.") for upstream in node["depends_on"]["nodes"])
    }
    assert readers and all(name.startswith("stg_") for name in readers), readers


def test_a_backward_ref_is_reported(manifest: dict[str, Any]) -> None:
    """The check itself: an intermediate model made to read an OMOP table is refused."""
    broken = json.loads(json.dumps(manifest))
    keyed = broken["nodes"]["model.healthlake.int_omop_events_keyed"]
    keyed["depends_on"]["nodes"].append("model.healthlake.visit_occurrence")
    assert layer_violations(broken) == [
        "intermediate model int_omop_events_keyed reads omop visit_occurrence"
    ]


def test_every_model_has_its_yaml_beside_it() -> None:
    """`visit_occurrence.sql` + `visit_occurrence.yml`, the YAML describing that model alone."""
    for sql in (REPO_ROOT / "dbt_project" / "models").rglob("*.sql"):
        yml = sql.with_suffix(".yml")
        assert yml.exists(), f"{sql.relative_to(REPO_ROOT)} has no {yml.name} beside it"
        described = [model["name"] for model in yaml.safe_load(yml.read_text())["models"]]
        assert described == [sql.stem], f"{yml.relative_to(REPO_ROOT)} describes {described}"


def test_one_macro_per_file_named_as_the_file() -> None:
    """A macro and its dispatch implementations (`default__x`, `athena__x`) per file, x.sql."""
    for path in (REPO_ROOT / "dbt_project" / "macros").rglob("*.sql"):
        names = re.findall(r"\{%-?\s*macro\s+(\w+)", path.read_text())
        families = {re.sub(r"^(default|athena|duckdb|trino)__", "", name) for name in names}
        assert families == {path.stem}, f"{path.relative_to(REPO_ROOT)} defines {sorted(names)}"
