"""The manifest of a generated dataset folder (`manifest.json`): what `generate` wrote, read by
`validate` and by `iceberg load`.

A module of its own that needs nothing heavy: loading a dataset reads this file, and must not
import the generator (numpy, faker, rich, every renderer) to do it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generators.exceptions import OutputError

MANIFEST = "manifest.json"


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a generated dataset folder.

    Raises:
        OutputError: the folder holds no manifest, or it is not JSON.
    """
    path = folder / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise OutputError(
            f"no generated dataset at {folder} ({MANIFEST} is missing); run 'just generate' first"
        ) from error
    except json.JSONDecodeError as error:
        raise OutputError(
            f"{path} is not valid JSON (line {error.lineno}); run 'just generate' again"
        ) from error
    return manifest
