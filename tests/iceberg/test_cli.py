"""The Iceberg command line meets odd input with one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pyiceberg.catalog import Catalog

from iceberg import catalog as catalog_module
from iceberg.catalog import load_catalog
from iceberg.exceptions import CatalogConfigError
from iceberg.loaders import load_fhir
from tests.conftest import one_line_error as _one_line_error
from tests.conftest import python_module, run


@pytest.fixture
def loaded(catalog: Catalog, tmp_path: Path) -> Catalog:
    """A catalog with bronze.fhir_patient holding one row."""
    source = tmp_path / "Patient.ndjson"
    source.write_text('{"resourceType": "Patient", "id": "p1"}\n')
    load_fhir(catalog, [source], "cli-test")
    return catalog


@pytest.mark.parametrize("command", ["snapshots", "read"])
@pytest.mark.parametrize("name", ["../x", "", "bronze.", "a.b.c", ".x", "fhir patient"])
def test_a_table_name_that_is_no_name_is_one_line(loaded: Catalog, command: str, name: str) -> None:
    result = python_module("iceberg", command, name)
    _one_line_error(result, f"{name!r} is not a table name", "such as fhir_patient")


def test_a_table_name_is_checked_before_the_catalog(warehouse: Path) -> None:
    result = python_module("iceberg", "snapshots", "../x")
    _one_line_error(result, "'../x' is not a table name")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--limit", "-1"], "--limit must be 0 or more rows, not -1"),
        (["--limit", "many"], "argument --limit: invalid int value: 'many'"),
        (["--out", "/no/such/folder/rows.parquet"], "no folder /no/such/folder; create it"),
        (["--out", ""], "'' is an empty path"),
        (["--snapshot", "-5"], "has no snapshot -5"),
        (["--catalog", "nowhere"], "unknown catalog 'nowhere'"),
    ],
)
def test_read_options(loaded: Catalog, arguments: list[str], expected: str) -> None:
    _one_line_error(python_module("iceberg", "read", "fhir_patient", *arguments), expected)


def test_read_out_into_an_existing_folder_writes_the_rows(loaded: Catalog, tmp_path: Path) -> None:
    result = python_module("iceberg", "read", "fhir_patient", "--out", str(tmp_path / "r.parquet"))
    assert result.returncode == 0, result.stderr
    assert "wrote 1 rows" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--keep", "-1"], "--keep must be at least 1 (the current snapshot), not -1"),
        (["--keep", "0"], "--keep must be at least 1"),
        (["--orphan-age-minutes", "nan"], "--orphan-age-minutes must be 0 or more"),
        (["--orphan-age-minutes", "inf"], "--orphan-age-minutes must be 0 or more"),
        (["--catalog", "nowhere"], "unknown catalog 'nowhere'"),
    ],
)
def test_maintain_options_are_checked_before_any_work(
    loaded: Catalog, arguments: list[str], expected: str
) -> None:
    before = loaded.load_table("bronze.fhir_patient").metadata.snapshots
    _one_line_error(python_module("iceberg", "maintain", *arguments), expected)
    assert load_catalog().load_table("bronze.fhir_patient").metadata.snapshots == before


@pytest.mark.parametrize(
    "arguments",
    [
        ["load", "--catalog", "nowhere"],
        ["ingest-fhir", "x.ndjson", "--catalog", "nowhere"],
        ["snapshots", "fhir_patient", "--catalog", "nowhere"],
    ],
)
def test_an_unknown_catalog_is_one_line(warehouse: Path, arguments: list[str]) -> None:
    _one_line_error(python_module("iceberg", *arguments), "unknown catalog 'nowhere'", "local")


@pytest.mark.parametrize(
    "arguments",
    [["bogus"], ["read"], ["load", "--force", "extra"], ["maintain", "--keep", "ten"], []],
)
def test_usage_errors_are_one_line(warehouse: Path, arguments: list[str]) -> None:
    _one_line_error(python_module("iceberg", *arguments), "see 'python -m iceberg")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "defines no catalogs"),
        ("- a\n- b\n", "defines no catalogs"),
        ("local: [unclosed\n", "line 2 is not valid YAML"),
        ("local:\n", "catalog 'local' in "),
        ("glue:\n  type: glue\n", "unknown catalog 'local'"),
    ],
)
def test_a_broken_catalogs_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    broken = tmp_path / "catalogs.yml"
    broken.write_text(text)
    monkeypatch.setattr(catalog_module, "CATALOGS_FILE", broken)
    with pytest.raises(CatalogConfigError) as raised:
        load_catalog("local")
    assert "\n" not in str(raised.value)
    assert expected in str(raised.value)
    assert str(broken) in str(raised.value)


def test_the_iceberg_cli_does_not_import_the_generator_nor_duckdb() -> None:
    """`just load` reads a manifest; it must not pay for numpy's renderers, faker and rich, nor
    for the DuckDB side (which imports the Iceberg side, never the other way)."""
    heavy = (
        "generators.output",
        "generators.population",
        "generators.fhir",
        "faker",
        "rich",
        "duckdb",
        "lakehouse",
    )
    probe = f"import sys, iceberg.__main__; print([m for m in {heavy!r} if m in sys.modules])"
    result = run([sys.executable, "-c", probe])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
