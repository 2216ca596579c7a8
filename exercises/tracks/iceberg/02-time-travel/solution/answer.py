"""The resource_id of every Patient that the second run added to bronze.fhir_patient."""

from __future__ import annotations

from typing import Any


def answer(catalog: Any) -> list[tuple[Any, ...]]:
    """The Patients in bronze.fhir_patient now but not in the first run's snapshot."""
    table = catalog.load_table("bronze.fhir_patient")
    first = min(table.snapshots(), key=lambda snapshot: snapshot.timestamp_ms)
    fields = ("resource_id",)
    before = table.scan(snapshot_id=first.snapshot_id, selected_fields=fields).to_arrow()
    now = table.scan(selected_fields=fields).to_arrow()
    added = set(now.column("resource_id").to_pylist()) - set(
        before.column("resource_id").to_pylist()
    )
    return [(resource_id,) for resource_id in sorted(added)]
