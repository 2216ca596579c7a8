"""Undo the interrupted load of run learn-run-2: every bronze table as it was before it."""

from __future__ import annotations

from typing import Any

from iceberg.time_travel import snapshots

INTERRUPTED_RUN = "learn-run-2"


def undo(catalog: Any) -> None:
    """Roll back every bronze table that run learn-run-2 committed to."""
    for namespace, name in catalog.list_tables("bronze"):
        table = catalog.load_table(f"{namespace}.{name}")
        current = next((info for info in snapshots(table) if info.is_current), None)
        # Run learn-run-1 created every table, so a snapshot of learn-run-2 has a parent.
        if current is not None and current.run_id == INTERRUPTED_RUN and current.parent_id:
            table.manage_snapshots().rollback_to_snapshot(current.parent_id).commit()
