"""`just view`: rows out in three formats, the SQL of either engine, and bad input refused in
one line with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO_ROOT, one_line_error, run

PATIENTS = [
    {
        "resourceType": "Patient",
        "id": "a",
        "gender": "female",
        "birthDate": "1980-02-01",
        "name": [{"family": "Ames", "given": ["Ada", "B."]}],
    },
    {"resourceType": "Patient", "id": "b", "gender": "male"},
]
VIEW = {
    "resourceType": "ViewDefinition",
    "name": "patients",
    "resource": "Patient",
    "select": [
        {
            "column": [
                {"name": "id", "path": "getResourceKey()", "type": "string"},
                {"name": "gender", "path": "gender", "type": "code"},
                {"name": "birth_date", "path": "birthDate", "type": "date"},
            ]
        },
        {
            "forEachOrNull": "name",
            "column": [
                {"name": "family", "path": "family", "type": "string"},
                {"name": "given", "path": "given", "type": "string", "collection": True},
            ],
        },
    ],
}


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "fhir"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text(
        "".join(json.dumps(p) + "\n" for p in PATIENTS), encoding="utf-8"
    )
    # A Bundle beside the NDJSON is read too, as ingest-fhir reads it.
    (folder / "bundle.json").write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "batch",
                "entry": [{"resource": {"resourceType": "Patient", "id": "c", "gender": "other"}}],
            }
        ),
        encoding="utf-8",
    )
    view = tmp_path / "patients.json"
    view.write_text(json.dumps(VIEW), encoding="utf-8")
    return view, folder


@pytest.mark.parametrize("engine", ["duckdb", "athena"])
def test_ndjson_rows_on_stdout(inputs: tuple[Path, Path], engine: str) -> None:
    view, folder = inputs
    result = run(["just", "view", str(view), str(folder), "--engine", engine])
    assert result.returncode == 0, result.stderr
    got = sorted(
        (json.loads(line) for line in result.stdout.splitlines()), key=lambda row: row["id"]
    )
    assert got == [
        {
            "id": "a",
            "gender": "female",
            "birth_date": "1980-02-01",
            "family": "Ames",
            "given": ["Ada", "B."],
        },
        {"id": "b", "gender": "male", "birth_date": None, "family": None, "given": None},
        {"id": "c", "gender": "other", "birth_date": None, "family": None, "given": None},
    ]


def test_csv_and_parquet_files(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    view, folder = inputs
    csv_file, parquet_file = tmp_path / "out.csv", tmp_path / "out.parquet"
    assert (
        run(
            ["just", "view", str(view), str(folder), "--format", "csv", "--out", str(csv_file)]
        ).returncode
        == 0
    )
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,gender,birth_date,family,given"
    assert 'a,female,1980-02-01,Ames,"[""Ada"",""B.""]"' in lines
    assert (
        run(
            [
                "just",
                "view",
                str(view),
                str(folder),
                "--format",
                "parquet",
                "--out",
                str(parquet_file),
            ]
        ).returncode
        == 0
    )
    table = pq.read_table(parquet_file)
    assert table.column_names == ["id", "gender", "birth_date", "family", "given"]
    assert table.num_rows == 3
    assert str(table.schema.field("given").type) == "list<element: string>"


@pytest.mark.parametrize(
    ("engine", "marker"), [("duckdb", "LIST_TRANSFORM"), ("athena", "TRANSFORM(")]
)
def test_sql_of_either_engine(inputs: tuple[Path, Path], engine: str, marker: str) -> None:
    view, _ = inputs
    result = run(["just", "view", str(view), "--sql", "--engine", engine])
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout and "'Patient'" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not JSON"),
        (json.dumps({**VIEW, "resource": "Patiant"}), "'Patiant' is not a FHIR R4 resource type"),
        (
            json.dumps({**VIEW, "select": [{"column": [{"name": "x", "path": "name.("}]}]}),
            "invalid FHIRPath",
        ),
        (
            json.dumps(
                {
                    **VIEW,
                    "select": [
                        {"column": [{"name": "id", "path": "id"}, {"name": "id", "path": "gender"}]}
                    ],
                }
            ),
            "Column Already Defined",
        ),
        (
            json.dumps({**VIEW, "select": [{"column": [{"name": "f", "path": "name.given"}]}]}),
            "gave more than one value and is not a collection",
        ),
    ],
)
def test_bad_views_are_one_line_and_write_nothing(
    inputs: tuple[Path, Path], tmp_path: Path, content: str, expected: str
) -> None:
    _, folder = inputs
    view = tmp_path / "bad.json"
    view.write_text(content, encoding="utf-8")
    out = tmp_path / "rows.ndjson"
    result = run(["just", "view", str(view), str(folder), "--out", str(out)])
    one_line_error(result, expected)
    assert not out.exists()


def test_missing_input_is_one_line(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    view, _ = inputs
    one_line_error(run(["just", "view", str(view), str(tmp_path / "nothing")]), "nothing")


def test_bronze_gives_the_latest_version_of_each_resource(tmp_path: Path) -> None:
    # Two loads of patient a: the later lastUpdated wins, as in silver (fhir_latest_versions).
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "Patient.ndjson").write_text(
        json.dumps(
            {
                "resourceType": "Patient",
                "id": "a",
                "gender": "male",
                "meta": {"lastUpdated": "2021-01-01T00:00:00Z"},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    (second / "Patient.ndjson").write_text(
        "".join(
            json.dumps(p) + "\n"
            for p in [
                {
                    "resourceType": "Patient",
                    "id": "a",
                    "gender": "female",
                    "meta": {"lastUpdated": "2020-06-01T00:00:00Z"},
                },
                {"resourceType": "Patient", "id": "b", "gender": "other"},
            ]
        ),
        encoding="utf-8",
    )
    env = {"HEALTHLAKE_WAREHOUSE": str(tmp_path / "warehouse")}
    for folder in (first, second):
        assert run(["just", "ingest-fhir", str(folder)], env=env).returncode == 0
    view = tmp_path / "genders.json"
    view.write_text(
        json.dumps(
            {
                "resource": "Patient",
                "select": [
                    {"column": [{"name": "id", "path": "id"}, {"name": "gender", "path": "gender"}]}
                ],
            }
        ),
        encoding="utf-8",
    )
    result = run(["just", "view", str(view), "bronze"], env=env)
    assert result.returncode == 0, result.stderr
    rows = sorted(json.loads(line)["gender"] for line in result.stdout.splitlines())
    assert rows == ["male", "other"]
    # A type bronze has never seen is no error: no rows.
    immunizations = REPO_ROOT / "dbt_project" / "fhir_views" / "immunizations.json"
    result = run(["just", "view", str(immunizations), "bronze", "--engine", "athena"], env=env)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_bronze_without_a_catalog_is_one_line(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    view, _ = inputs
    result = run(
        ["just", "view", str(view), "bronze"], env={"HEALTHLAKE_WAREHOUSE": str(tmp_path / "none")}
    )
    one_line_error(result, "no Iceberg catalog")
