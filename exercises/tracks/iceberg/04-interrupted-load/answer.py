"""Undo the interrupted load of run learn-run-2: every bronze table as it was before it."""

from __future__ import annotations

from typing import Any

INTERRUPTED_RUN = "learn-run-2"


def undo(catalog: Any) -> None:
    """Roll back every bronze table that run learn-run-2 committed to."""
    # Only the table the failed step named is rolled back; is it the only one the run touched?
    table = catalog.load_table("bronze.fhir_encounter")
    current = table.current_snapshot()
    table.manage_snapshots().rollback_to_snapshot(current.parent_snapshot_id).commit()
