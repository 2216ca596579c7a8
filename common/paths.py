"""Where things are: the repository, the folders every package reads, the local warehouse."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt's profiles and PyIceberg's catalogs (profiles.yml, catalogs.yml).
PROFILES_DIR = REPO_ROOT / "profiles"


def warehouse_dir() -> Path:
    """The local warehouse folder: $HEALTHLAKE_WAREHOUSE, or warehouse/ in this repository."""
    configured = os.environ.get("HEALTHLAKE_WAREHOUSE")
    return Path(configured).resolve() if configured else REPO_ROOT / "warehouse"
