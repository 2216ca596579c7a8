"""What compiled views return, on both engines, for the cases the official suite leaves out:
references of every shape, choice types, empty collections, type errors, runtime refusals."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from views import definition, runner
from views.compiler import compile_view
from views.exceptions import ViewDefinitionError, ViewError

ENGINES = ["duckdb", "athena"]


def rows(resources: list[dict[str, Any]], view: dict[str, Any], engine: str) -> list[dict]:
    con = duckdb.connect()
    runner.insert_resources(con, resources)
    compiled, relation = runner.run(
        con, definition.read({"resource": view.pop("resource"), **view}), engine
    )
    return runner.fetch(compiled, relation)


def view_of(resource: str, *columns: dict[str, Any], **select: Any) -> dict[str, Any]:
    return {"resource": resource, "select": [{"column": list(columns), **select}]}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("reference", "key", "typed_key"),
    [
        ("Patient/p1", "p1", "p1"),
        ("https://fhir.example.org/r4/Patient/p1/_history/3", "p1", "p1"),
        (
            "urn:uuid:1b2c3d4e-0000-4000-8000-000000000001",
            "1b2c3d4e-0000-4000-8000-000000000001",
            "1b2c3d4e-0000-4000-8000-000000000001",
        ),
        ("Group/g1", "g1", None),
        ("Patient?identifier=http://hospital|123", None, None),
        ("#contained1", None, None),
    ],
)
def test_reference_keys(
    engine: str, reference: str, key: str | None, typed_key: str | None
) -> None:
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": reference},
    }
    got = rows(
        [observation],
        view_of(
            "Observation",
            {"name": "any", "path": "subject.getReferenceKey()"},
            {"name": "patient", "path": "subject.getReferenceKey(Patient)"},
        ),
        engine,
    )
    assert got == [{"any": key, "patient": typed_key}]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_typed_urn_reference_of_another_type_gives_no_key(engine: str) -> None:
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": "urn:uuid:abc", "type": "Group"},
    }
    got = rows(
        [observation],
        view_of("Observation", {"name": "patient", "path": "subject.getReferenceKey(Patient)"}),
        engine,
    )
    assert got == [{"patient": None}]


@pytest.mark.parametrize("engine", ENGINES)
def test_of_type_reads_one_choice_and_choice_without_of_type_reads_any(engine: str) -> None:
    resources = [
        {
            "resourceType": "Observation",
            "id": "q",
            "status": "final",
            "code": {"text": "x"},
            "valueQuantity": {"value": 7.5, "unit": "mmol/L"},
        },
        {
            "resourceType": "Observation",
            "id": "s",
            "status": "final",
            "code": {"text": "x"},
            "valueString": "positive",
        },
    ]
    got = rows(
        resources,
        view_of(
            "Observation",
            {"name": "id", "path": "id"},
            {"name": "amount", "path": "value.ofType(Quantity).value", "type": "decimal"},
            {"name": "text", "path": "value.ofType(string)"},
            {"name": "is_quantity", "path": "value is Quantity"},
            {"name": "raw", "path": "value"},
        ),
        engine,
    )
    assert sorted(got, key=lambda row: row["id"]) == [
        {
            "id": "q",
            "amount": 7.5,
            "text": None,
            "is_quantity": True,
            "raw": {"value": 7.5, "unit": "mmol/L"},
        },
        {"id": "s", "amount": None, "text": "positive", "is_quantity": False, "raw": "positive"},
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_collections_propagate_as_fhirpath_says(engine: str) -> None:
    patient = {"resourceType": "Patient", "id": "p"}
    got = rows(
        [patient],
        view_of(
            "Patient",
            {"name": "eq", "path": "gender = 'male'", "type": "boolean"},
            {"name": "ne", "path": "gender != 'male'", "type": "boolean"},
            {"name": "and_false", "path": "gender = 'male' and false", "type": "boolean"},
            {"name": "or_true", "path": "gender = 'male' or true", "type": "boolean"},
            {"name": "exists", "path": "name.exists()"},
            {"name": "count", "path": "name.count()"},
            {"name": "joined", "path": "name.given.join(',')"},
            {"name": "concat", "path": "gender & 'x'"},
            {"name": "plus", "path": "multipleBirth.ofType(integer) + 1"},
            {"name": "given", "path": "name.given", "collection": True},
        ),
        engine,
    )
    assert got == [
        {
            "eq": None,
            "ne": None,
            "and_false": False,
            "or_true": True,
            "exists": False,
            "count": 0,
            "joined": "",
            "concat": "x",
            "plus": None,
            "given": [],
        }
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_arithmetic_and_division_are_decimal(engine: str) -> None:
    patient = {"resourceType": "Patient", "id": "p", "multipleBirthInteger": 3}
    got = rows(
        [patient],
        view_of(
            "Patient",
            {"name": "half", "path": "multipleBirth.ofType(integer) / 2", "type": "decimal"},
            {"name": "by_zero", "path": "multipleBirth.ofType(integer) / 0", "type": "decimal"},
            {"name": "quotient", "path": "multipleBirth.ofType(integer) div 2"},
            {"name": "remainder", "path": "multipleBirth.ofType(integer) mod 2"},
        ),
        engine,
    )
    assert got == [{"half": 1.5, "by_zero": None, "quotient": 1, "remainder": 1}]


@pytest.mark.parametrize("engine", ENGINES)
def test_many_values_in_a_column_that_is_not_a_collection_stop_the_query(engine: str) -> None:
    patient = {"resourceType": "Patient", "id": "p", "name": [{"family": "A"}, {"family": "B"}]}
    with pytest.raises(ViewError, match=r"column 'family' \(name.family\) gave more than one"):
        rows([patient], view_of("Patient", {"name": "family", "path": "name.family"}), engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_arrays_where_fhir_has_one_value_and_json_nulls_are_read_safely(engine: str) -> None:
    # Real exports put an object where FHIR has an array and leave nulls in primitive arrays.
    patient = {
        "resourceType": "Patient",
        "id": "p",
        "name": {"family": "Solo", "given": ["A", None, "B"]},
    }
    got = rows(
        [patient],
        view_of(
            "Patient",
            {"name": "given", "path": "name.given", "collection": True},
            {"name": "family", "path": "name.family.first()"},
        ),
        engine,
    )
    assert got == [{"given": ["A", "B"], "family": "Solo"}]


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (
            {
                "resource": "Patient",
                "select": [{"column": [{"name": "id", "path": "id"}]}],
                "where": [{"path": "name.family"}],
            },
            "where[0].path: a where path must give a boolean",
        ),
        (
            {"resource": "Patient", "select": [{"column": [{"name": "x", "path": "%nope"}]}]},
            "%nope is not a constant of this view",
        ),
        (
            {"resource": "Patient", "select": [{"column": [{"name": "x", "path": "name.foo()"}]}]},
            "function foo() is not supported",
        ),
        (
            {
                "resource": "Patient",
                "select": [
                    {
                        "column": [{"name": "x", "path": "id"}],
                        "forEach": "name",
                        "forEachOrNull": "name",
                    }
                ],
            },
            "has both forEach and forEachOrNull",
        ),
        (
            {
                "resource": "Patient",
                "select": [
                    {"column": [{"name": "x", "path": "id"}, {"name": "x", "path": "gender"}]}
                ],
            },
            "'x' is already a column",
        ),
        (
            {"resource": "Patient", "select": [{"colunm": [{"name": "x", "path": "id"}]}]},
            "unknown element 'colunm'",
        ),
        (
            {"resource": "Patient", "select": [{"column": [{"name": "1x", "path": "id"}]}]},
            "'1x' is not a column name",
        ),
        (
            {"resource": "Pateint", "select": [{"column": [{"name": "x", "path": "id"}]}]},
            "'Pateint' is not a FHIR R4 resource type",
        ),
    ],
)
def test_invalid_views_are_refused_before_any_sql(view: dict[str, Any], message: str) -> None:
    with pytest.raises(ViewDefinitionError, match=__import__("re").escape(message)):
        compile_view(definition.read(view), "duckdb")


def test_a_path_to_an_unknown_element_warns() -> None:
    compiled = compile_view(
        definition.read(view_of("Patient", {"name": "x", "path": "nmae"})), "duckdb"
    )
    assert any("Patient has no element 'nmae'" in warning for warning in compiled.warnings)


@pytest.mark.parametrize("engine", ENGINES)
def test_for_each_or_null_that_finds_nothing_gives_one_row_of_nulls(engine: str) -> None:
    patient = {"resourceType": "Patient", "id": "p"}
    view = {
        "resource": "Patient",
        "select": [
            {"column": [{"name": "id", "path": "id"}]},
            {
                "forEachOrNull": "contact",
                "column": [{"name": "i", "path": "%rowIndex"}, {"name": "constant", "path": "'x'"}],
                "select": [
                    {"forEach": "name.given", "column": [{"name": "given", "path": "$this"}]}
                ],
                "unionAll": [
                    {"column": [{"name": "u", "path": "'first'"}]},
                    {"column": [{"name": "u", "path": "'second'"}]},
                ],
            },
        ],
    }
    assert rows([patient], view, engine) == [
        {"id": "p", "i": 0, "constant": None, "given": None, "u": None}
    ]


PATIENT = {
    "resourceType": "Patient",
    "id": "p",
    "gender": "female",
    "birthDate": "1970-06",
    "active": True,
    "multipleBirthInteger": 2,
    "name": [
        {
            "use": "official",
            "family": " Smith ",
            "given": ["Ann", "Bea"],
            "period": {"start": "2001-02-03", "end": "2010"},
        },
        {"use": "nickname", "given": ["Annie"]},
    ],
    "telecom": [{"system": "phone", "value": "555-0100"}],
}
EXPRESSIONS = [
    ("name.first().family.trim().upper()", "SMITH"),
    ("name.first().family.lower().startsWith(' sm')", True),
    ("name.first().family.endsWith('h ')", True),
    ("name.first().family.contains('mit')", True),
    ("telecom.value.first().matches('^[0-9]{3}-[0-9]{4}$')", True),
    ("name.first().family.length()", 7),
    ("name.first().family.replace(' ', '')", "Smith"),
    ("name.first().family.indexOf('S')", 1),
    ("name.first().family.substring(1, 3)", "Smi"),
    ("multipleBirth.ofType(integer).toString()", "2"),
    ("'42'.toInteger() + 1", 43),
    ("'1.5'.toDecimal() * 2", 3.0),
    ("iif(active, 'yes', 'no')", "yes"),
    ("iif(gender = 'male', 'm')", None),
    ("name.select(given.first()).join('+')", "Ann+Annie"),
    ("name.all(given.exists())", True),
    ("name.all(family.exists())", False),
    ("(name.given | name.given).count()", 3),
    ("'Bea' in name.given", True),
    ("name.given contains 'Zed'", False),
    ("gender ~ 'FEMALE'", True),
    ("gender !~ 'male'", True),
    ("active implies gender = 'female'", True),
    ("active xor true", False),
    ("name.last().use", "nickname"),
    ("telecom.single().system", "phone"),
    ("gender.hasValue()", True),
    ("gender.count()", 1),
    ("name is HumanName", True),
    ("-multipleBirth.ofType(integer)", -2),
    ("name.first().period.lowBoundary()", "2001-02-03T00:00:00.000+14:00"),
    ("name.first().period.highBoundary()", "2010-12-31T23:59:59.999-12:00"),
    ("birthDate < @1970-06-15", None),
    ("birthDate = @1970-06", True),
    ("gender & '/' & {}", "female/"),
    ("multipleBirth.ofType(integer) mod 2 = 0", True),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_fhirpath_functions_and_operators(engine: str) -> None:
    columns = [{"name": f"c{i}", "path": path} for i, (path, _) in enumerate(EXPRESSIONS)]
    got = rows([PATIENT], view_of("Patient", *columns), engine)[0]
    for i, (path, expected) in enumerate(EXPRESSIONS):
        value = got[f"c{i}"]
        if isinstance(expected, float):
            assert float(value) == pytest.approx(expected), path
        else:
            assert value == expected, path
