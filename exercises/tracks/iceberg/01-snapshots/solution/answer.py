"""For each snapshot of bronze.fhir_patient, oldest first: (run_id, total_rows)."""

from __future__ import annotations

from typing import Any

from iceberg.time_travel import snapshots


def answer(catalog: Any) -> list[tuple[Any, ...]]:
    """The snapshots of bronze.fhir_patient as (run_id, total_rows), oldest first."""
    table = catalog.load_table("bronze.fhir_patient")
    return [(info.run_id, info.total_rows) for info in snapshots(table)]
