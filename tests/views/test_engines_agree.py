"""Property: any view built from these parts gives the same rows on DuckDB and on Athena (its
Trino SQL transpiled to DuckDB), over generated patients and odd-shaped real-world resources;
and single-column paths agree with fhirpathpy, an independent FHIRPath implementation."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import fhirpathpy
import orjson
import pytest
from fhirpathpy.models import models as fhirpath_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generators.__main__ import main as generate
from views import definition, runner
from views.conformance import _canonical

PATHS = [
    "id",
    "gender",
    "birthDate",
    "active",
    "name.family.first()",
    "name.given.first()",
    "name.where(use = 'official').given.first()",
    "name.exists()",
    "name.count()",
    "telecom.where(system = 'phone').value.first()",
    "address.state.first()",
    "deceased.ofType(dateTime)",
    "deceased.exists()",
    "birthDate.lowBoundary()",
    "gender = 'female' and birthDate > @1970-01-01",
    "name.given.join(' ')",
    "extension('http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex')"
    ".value.ofType(code).first()",
    "identifier.where(system.contains('ssn')).value.first()",
    "managingOrganization.getReferenceKey(Organization)",
    "maritalStatus.coding.code.first()",
    "%rowIndex",
    "'constant'",
    "(name.count() + 1) * 2",
]
ITEM_PATHS = [
    "$this.family",
    "given.first()",
    "use",
    "period.start",
    "%rowIndex",
    "given.count()",
    "family.exists()",
]
ODD_PATIENTS = [
    {
        "resourceType": "Patient",
        "id": "odd1",
        "name": {"family": "NotAnArray"},
        "birthDate": "1970",
    },
    {
        "resourceType": "Patient",
        "id": "odd2",
        "name": [{"given": ["A", None]}],
        "active": False,
        "deceasedDateTime": "2020-05-05T10:00:00Z",
    },
    {
        "resourceType": "Patient",
        "id": "odd3",
        "gender": "unknown",
        "deceasedBoolean": True,
        "managingOrganization": {"reference": "urn:uuid:org-1"},
    },
]


@pytest.fixture(scope="module")
def patients(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("generated")
    assert generate(["generate", "60", "7", "--out", str(out)]) == 0
    lines = (Path(out) / "fhir" / "Patient.ndjson").read_bytes().splitlines()
    return [orjson.loads(line) for line in lines] + ODD_PATIENTS


@pytest.fixture(scope="module")
def con(patients: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    runner.insert_resources(connection, patients)
    return connection


def _result(con: duckdb.DuckDBPyConnection, view: dict[str, Any], engine: str) -> Counter[Any]:
    compiled, relation = runner.run(con, definition.read(view), engine)
    return Counter(_canonical(row) for row in runner.fetch(compiled, relation))


columns = st.lists(st.sampled_from(PATHS), min_size=1, max_size=4, unique=True)
item_columns = st.lists(st.sampled_from(ITEM_PATHS), min_size=1, max_size=3, unique=True)


@st.composite
def views(draw: st.DrawFn) -> dict[str, Any]:
    top = [{"name": f"c{i}", "path": path} for i, path in enumerate(draw(columns))]
    select: list[dict[str, Any]] = [{"column": top}]
    iteration = draw(st.sampled_from(["none", "forEach", "forEachOrNull", "unionAll"]))
    items = [{"name": f"n{i}", "path": path} for i, path in enumerate(draw(item_columns))]
    if iteration in ("forEach", "forEachOrNull"):
        select.append(
            {iteration: draw(st.sampled_from(["name", "telecom", "address"])), "column": items}
        )
    elif iteration == "unionAll":
        select.append(
            {
                "unionAll": [
                    {"forEach": "name", "column": items},
                    {"forEachOrNull": "contact.name", "column": items},
                ]
            }
        )
    return {"resource": "Patient", "select": select}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(view=views())
def test_duckdb_and_athena_give_the_same_rows(
    con: duckdb.DuckDBPyConnection, view: dict[str, Any]
) -> None:
    assert _result(con, view, "duckdb") == _result(con, view, "athena")


# fhirpathpy has no lowBoundary, getReferenceKey or %rowIndex; the rest it evaluates itself.
ORACLE_PATHS = [
    p
    for p in PATHS
    if not p.startswith(("%", "("))
    and "@" not in p
    and "Boundary" not in p
    and "getReferenceKey" not in p
]


@pytest.mark.parametrize("path", ORACLE_PATHS)
def test_single_columns_agree_with_fhirpathpy(
    con: duckdb.DuckDBPyConnection, patients: list[dict[str, Any]], path: str
) -> None:
    view = {
        "resource": "Patient",
        "select": [{"column": [{"name": "id", "path": "id"}, {"name": "v", "path": path}]}],
    }
    compiled, relation = runner.run(con, definition.read(view), "duckdb")
    ours = {row["id"]: row["v"] for row in runner.fetch(compiled, relation)}
    for patient in patients:
        if patient["id"].startswith("odd"):
            continue  # fhirpathpy reads a mis-shaped resource its own way
        theirs = fhirpathpy.evaluate(patient, path, model=fhirpath_models["r4"])
        expected = theirs[0] if theirs else None
        if isinstance(expected, str) and isinstance(ours[patient["id"]], str):
            assert ours[patient["id"]] == expected, (patient["id"], path)
        else:
            assert _canonical(ours[patient["id"]]) == _canonical(expected), (patient["id"], path)
