"""MkDocs hook: write docs/reference/models.md at build time from the dbt models' YAML.

Every model has one YAML file beside it (dbt_project/models/<layer>/.../<model>.yml); this hook
reads them and lists each model under its layer with its description, so the page cannot fall
behind the models. It runs inside `mkdocs build` (mkdocs.yml `hooks:`), never on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from common.paths import DBT_PROJECT_DIR

MODELS_DIR = DBT_PROJECT_DIR / "models"
PAGE = "reference/models.md"
# Folder under models/ -> (the schema its tables land in, what the layer is).
LAYERS: dict[str, tuple[str, str]] = {
    "staging": (
        "silver",
        "one model per source table: rename, cast, light cleaning; the only users of `source()`",
    ),
    "intermediate": ("silver", "joins and reshaping on the way to OMOP, not meant for users"),
    "omop": ("omop", "the OMOP CDM v5.4 tables, with their exact CDM names and enforced contracts"),
    "gold": ("gold", "marts people query, built from omop and intermediate"),
    "ops": ("ops", "reconciliation and run evidence: reads every layer, feeds none"),
}


def _one_line(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def models_by_layer(models_dir: Path = MODELS_DIR) -> dict[str, list[tuple[str, str, str]]]:
    """The models of each layer folder as (name, path under models/, description), sorted."""
    layers: dict[str, list[tuple[str, str, str]]] = {layer: [] for layer in LAYERS}
    for path in sorted(models_dir.rglob("*.yml")):
        layer = path.relative_to(models_dir).parts[0]
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []):
            sql = path.with_name(f"{model['name']}.sql").relative_to(models_dir)
            layers.setdefault(layer, []).append(
                (model["name"], sql.as_posix(), _one_line(model.get("description", "")))
            )
    return {layer: sorted(models) for layer, models in layers.items()}


def render(models_dir: Path = MODELS_DIR) -> str:
    """The Markdown of the model reference page."""
    layers = models_by_layer(models_dir)
    total = sum(len(models) for models in layers.values())
    lines = [
        "# dbt models",
        "",
        f"Every model of `dbt_project/models/` ({total} in all), by layer, with the description",
        "of its YAML file. This page is written when the site is built (`scripts/docs_models.py`),",
        "so it lists the models as they are. Columns, tests and lineage are in dbt's own docs:",
        "see [Commands](commands.md#dbt-docs) for how to generate and serve them.",
        "",
    ]
    for layer, models in layers.items():
        schema, what = LAYERS.get(layer, (layer, ""))
        lines += [f"## {layer} (schema `{schema}`)", "", f"{what[:1].upper()}{what[1:]}.", ""]
        lines += ["| model | file | description |", "|---|---|---|"]
        lines += [f"| `{name}` | `{sql}` | {desc} |" for name, sql, desc in models]
        lines.append("")
    return "\n".join(lines)


def on_files(files: Any, config: Any) -> Any:
    """MkDocs event: add the generated page to the site's files."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=render()))
    return files
