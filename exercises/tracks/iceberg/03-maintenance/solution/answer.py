"""Maintain bronze.fhir_observation: one snapshot, one data file, every row kept."""

from __future__ import annotations

from typing import Any

from iceberg.maintenance import maintain_table


def maintain(catalog: Any) -> None:
    """Compact bronze.fhir_observation and keep only its last snapshot."""
    maintain_table(catalog, "bronze.fhir_observation", keep=1)
