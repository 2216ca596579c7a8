"""For each snapshot of bronze.fhir_patient, oldest first: (run_id, total_rows)."""

from __future__ import annotations

from typing import Any


def answer(catalog: Any) -> list[tuple[Any, ...]]:
    """The snapshots of bronze.fhir_patient as (run_id, total_rows), oldest first."""
    table = catalog.load_table("bronze.fhir_patient")
    # This reads only the current version of the table: one row, and no run id.
    return [(None, table.scan().to_arrow().num_rows)]
