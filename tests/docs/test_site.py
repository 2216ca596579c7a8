"""The documentation site: it builds strict and offline, and its reference pages stay complete.

`just docs` runs `mkdocs build --strict`, so a link to a missing page or anchor fails here. The
commands page must have a section for every justfile recipe, and the model reference (written at
build time by scripts/docs_models.py) must list every dbt model.
"""

from __future__ import annotations

import re

from scripts import docs_models
from tests.conftest import JUST, REPO_ROOT, run

COMMANDS_PAGE = REPO_ROOT / "docs" / "reference" / "commands.md"


def test_just_docs_builds_the_site_strict() -> None:
    result = run([*JUST, "docs"])
    assert result.returncode == 0, result.stdout + result.stderr
    site = REPO_ROOT / "site"
    for page in ("index.html", "tutorial/index.html", "reference/models/index.html"):
        assert (site / page).is_file(), page
    # Mermaid fences become diagrams, not code blocks.
    assert '<pre class="mermaid">' in (site / "concepts" / "index.html").read_text()


def test_every_recipe_has_a_section_on_the_commands_page() -> None:
    summary = run([*JUST, "--summary"])
    assert summary.returncode == 0, summary.stderr
    recipes = set(summary.stdout.split())
    documented = set(re.findall(r"^### `just ([\w-]+)`$", COMMANDS_PAGE.read_text(), re.MULTILINE))
    assert recipes - documented == set(), "recipes missing from docs/reference/commands.md"
    assert documented - recipes == set(), "docs/reference/commands.md names recipes that are gone"


def test_the_model_reference_lists_every_model() -> None:
    page = docs_models.render()
    models = {path.stem for path in docs_models.MODELS_DIR.rglob("*.sql")}
    listed = set(re.findall(r"^\| `(\w+)` \|", page, re.MULTILINE))
    assert models == listed
    assert "| `person` | `omop/person.sql` | OMOP CDM v5.4 PERSON:" in page
