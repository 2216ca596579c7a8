"""Folder scans read what a user means: hidden entries, dangling links and link loops skipped."""

from __future__ import annotations

from pathlib import Path

from pyiceberg.catalog import Catalog

from iceberg.fhir_input import find_inputs
from iceberg.loaders import load_fhir
from tests.conftest import python_module

PATIENT = '{"resourceType": "Patient", "id": "%s"}\n'


def _export(folder: Path) -> Path:
    """An export folder with one Patient file and what real folders also hold."""
    folder.mkdir(parents=True)
    (folder / "Patient.ndjson").write_text(PATIENT % "p1")
    (folder / ".DS_Store").write_text("finder")
    (folder / "version.info").write_text("1")
    for hidden in (".git", ".venv/lib", ".generated.staging-1-abc/fhir"):
        (folder / hidden).mkdir(parents=True)
    (folder / ".git" / "Patient.ndjson").write_text(PATIENT % "from-git")
    (folder / ".venv" / "lib" / "x.json").write_text("{}")
    (folder / ".generated.staging-1-abc" / "fhir" / "Patient.ndjson").write_text(PATIENT % "st")
    (folder / "gone.ndjson").symlink_to(folder / "deleted.ndjson")
    return folder


def test_hidden_entries_and_dangling_links_are_skipped_and_counted(
    catalog: Catalog, tmp_path: Path
) -> None:
    export = _export(tmp_path / "export")
    report = load_fhir(catalog, [export], "scan")
    assert [Path(file.path).name for file in report.files] == ["Patient.ndjson"]
    rows = catalog.load_table("bronze.fhir_patient").scan().to_arrow().to_pylist()
    assert [row["resource_id"] for row in rows] == ["p1"]
    lines = report.lines()
    expected = (
        "skipped 6 entries: 4 hidden, 1 dangling link, 1 not FHIR by extension "
        f"({(export / 'version.info').resolve()})"
    )
    assert expected in lines
    assert not any("Traceback" in line for line in lines)


def test_a_hidden_path_named_explicitly_is_read(tmp_path: Path) -> None:
    export = _export(tmp_path / "export")
    hidden_folder = find_inputs([export / ".generated.staging-1-abc"])
    assert [path.name for path in hidden_folder.inputs] == ["Patient.ndjson"]
    hidden_file = export / ".hidden.ndjson"
    hidden_file.write_text(PATIENT % "h")
    assert find_inputs([hidden_file]).inputs == [hidden_file.resolve()]


def test_links_are_followed_and_each_folder_scanned_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "Patient.ndjson").write_text(PATIENT % "p1")
    (data / "loop").symlink_to(data)  # a loop: data/loop/loop/... must end
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "Observation.ndjson").write_text("")
    (data / "linked").symlink_to(elsewhere)
    (data / "same.ndjson").symlink_to(data / "Patient.ndjson")
    scan = find_inputs([data])
    assert scan.inputs == sorted(
        [(data / "Patient.ndjson").resolve(), (elsewhere / "Observation.ndjson").resolve()]
    )
    assert scan.repeated == [data / "loop"]
    assert "1 folder already scanned (link)" in (scan.skipped_line() or "")


def test_a_dangling_link_named_explicitly_is_a_one_line_error(warehouse: Path) -> None:
    link = warehouse / "gone.ndjson"
    link.symlink_to(warehouse / "nothing.ndjson")
    result = python_module("iceberg", "ingest-fhir", str(link))
    assert result.returncode == 2
    assert result.stderr == f"error: {link}: a symbolic link to nothing; fix the link or the path\n"


def test_an_empty_path_is_an_error_not_the_current_folder(warehouse: Path) -> None:
    result = python_module("iceberg", "ingest-fhir", "")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: python -m iceberg ingest-fhir: argument paths: ")
    assert "'' is an empty path" in result.stderr
    assert not (warehouse / "catalog.db").exists()


def test_the_cli_report_names_the_skipped_entries(warehouse: Path, tmp_path: Path) -> None:
    export = _export(tmp_path / "export")
    result = python_module("iceberg", "ingest-fhir", str(export))
    assert result.returncode == 0, result.stderr
    assert "  skipped 6 entries: 4 hidden, 1 dangling link, 1 not FHIR by extension" in (
        result.stdout
    )
