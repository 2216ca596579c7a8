"""The resource_id of every Patient that the second run added to bronze.fhir_patient."""

from __future__ import annotations

from typing import Any


def answer(catalog: Any) -> list[tuple[Any, ...]]:
    """The Patients in bronze.fhir_patient now but not in the first run's snapshot."""
    table = catalog.load_table("bronze.fhir_patient")
    now = table.scan(selected_fields=("resource_id",)).to_arrow()
    # Every patient there is now: the first run's snapshot is not read yet.
    return [(resource_id,) for resource_id in now.column("resource_id").to_pylist()]
