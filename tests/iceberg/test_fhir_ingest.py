"""`just ingest-fhir`: real FHIR R4 input into bronze, nothing lost, nothing doubled."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table, Transaction

from iceberg import fhir_input, loaders
from iceberg.exceptions import SourceFileError
from iceberg.fhir_input import FhirRecord, FileReading, read_records
from iceberg.loaders import (
    LEDGER_LOCATION_PROPERTY,
    LedgerEntry,
    LoadReport,
    load_fhir,
    table_ledger,
)
from tests.conftest import SHARED_REFERENCE, python_module

EXAMPLES = SHARED_REFERENCE / "fhir_r4_examples"


def _table(catalog: Catalog, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = catalog.load_table(f"bronze.{name}").scan().to_arrow().to_pylist()
    return rows


def _snapshot(catalog: Catalog, name: str) -> int | None:
    snapshot = catalog.load_table(f"bronze.{name}").current_snapshot()
    return snapshot.snapshot_id if snapshot else None


def _load_and_snapshot(
    catalog: Catalog, path: Path, ndjson: str, tables: tuple[str, ...]
) -> dict[str, int | None]:
    """Write `ndjson` to `path`, load it as run-1, and return the snapshot of each table after."""
    path.write_text(ndjson)
    load_fhir(catalog, [path], "run-1")
    return {name: _snapshot(catalog, name) for name in tables}


def _bundle(kind: str) -> dict[str, Any]:
    """A Bundle with what real exports contain: urn:uuid references, a contained resource,
    extensions, choice types, an unmodelled type, and one entry without a resource."""
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "meta": {"lastUpdated": "2024-01-02T03:04:05Z"},
        "extension": [{"url": "http://example.org/race", "valueString": "x"}],
    }
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "heart rate"},
        "subject": {"reference": "urn:uuid:6f1c0f2a-0000-4000-8000-000000000001"},
        "effectiveDateTime": "2024-01-01",
        "valueQuantity": {"value": 60, "unit": "/min"},
    }
    request = {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "contained": [{"resourceType": "Medication", "id": "med"}],
        "medicationReference": {"reference": "#med"},
        "subject": {"reference": "Patient/p1"},
    }
    device = {"resourceType": "DeviceUseStatement", "id": "d1", "subject": {"reference": "#p"}}
    entries: list[dict[str, Any]] = [
        {"fullUrl": "urn:uuid:6f1c0f2a-0000-4000-8000-000000000001", "resource": patient},
        {"fullUrl": "urn:uuid:6f1c0f2a-0000-4000-8000-000000000002", "resource": observation},
        {"resource": request},
        {"resource": device},
        {"request": {"method": "DELETE", "url": "Patient/gone"}},
    ]
    if kind in ("transaction", "batch"):
        for entry in entries[:4]:
            entry["request"] = {"method": "POST", "url": entry["resource"]["resourceType"]}
    if kind == "searchset":
        for entry in entries[:4]:
            entry["search"] = {"mode": "match"}
    return {"resourceType": "Bundle", "id": f"b-{kind}", "type": kind, "entry": entries}


@pytest.mark.parametrize("kind", ["transaction", "batch", "collection", "searchset"])
def test_every_bundle_kind_loads_every_entry(catalog: Catalog, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(_bundle(kind), indent=2))
    report = load_fhir(catalog, [path], "run-1")
    assert dict(report.loaded_by_type) == {
        "Patient": 1,
        "Observation": 1,
        "MedicationRequest": 1,
        "DeviceUseStatement": 1,
    }
    patient = _table(catalog, "fhir_patient")[0]
    assert patient["last_updated"] == "2024-01-02T03:04:05Z"
    assert patient["source_line"] == 1
    assert json.loads(patient["resource_json"])["extension"][0]["valueString"] == "x"
    observation = _table(catalog, "fhir_observation")[0]
    # The reference is kept as the resource says it, urn:uuid and all.
    assert observation["patient_reference"] == "urn:uuid:6f1c0f2a-0000-4000-8000-000000000001"
    assert json.loads(observation["resource_json"])["valueQuantity"]["value"] == 60
    request = _table(catalog, "fhir_medication_request")[0]
    assert json.loads(request["resource_json"])["contained"][0]["id"] == "med"
    # A type no model reads yet still gets its own table.
    assert _table(catalog, "fhir_device_use_statement")[0]["patient_reference"] == "#p"
    quarantined = _table(catalog, "quarantine")
    assert [(q["source_line"], q["reason"]) for q in quarantined] == [
        (5, "Bundle entry 5 has no resource (request DELETE Patient/gone)")
    ]
    assert report.files[0].records == 5


@pytest.mark.parametrize("patients", [1, 2])
def test_a_clinical_resource_without_subject_is_its_documents_only_patients(
    catalog: Catalog, tmp_path: Path, patients: int
) -> None:
    """C-CDA documents converted to FHIR leave Encounter.subject out; the document is about
    its one Patient. With two Patients in the Bundle nobody can tell, and none is named."""
    entries = [
        {"resource": {"resourceType": "Patient", "id": f"p{n}"}} for n in range(1, patients + 1)
    ] + [
        {"resource": {"resourceType": "Encounter", "id": "e1", "status": "finished"}},
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "subject": {"reference": "Group/g"},
            }
        },
        {"resource": {"resourceType": "Organization", "id": "org1"}},
    ]
    path = tmp_path / "document.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "document", "entry": entries}))
    load_fhir(catalog, [path], "run-1")
    expected = "Patient/p1" if patients == 1 else None
    assert _table(catalog, "fhir_encounter")[0]["patient_reference"] == expected
    # What a resource names itself is kept, even when it is no Patient.
    assert _table(catalog, "fhir_observation")[0]["patient_reference"] == "Group/g"
    # An Organization is in no patient's compartment.
    assert _table(catalog, "fhir_organization")[0]["patient_reference"] is None


def test_reference_examples_all_load_or_are_quarantined_with_a_reason(
    catalog: Catalog, tmp_path: Path
) -> None:
    if not EXAMPLES.is_dir():
        pytest.skip(f"{EXAMPLES} is absent (the shared reference folder beside the repository)")
    report = load_fhir(catalog, [EXAMPLES], "run-1")
    inputs = sorted(p for p in EXAMPLES.iterdir() if p.suffix == ".json")
    assert sorted(f.path for f in report.files) == [str(p.resolve()) for p in inputs]
    assert report.ignored == [str((EXAMPLES / "version.info").resolve())]
    for file in report.files:
        assert file.records > 0 and file.records == file.loaded + file.quarantined, file.path
    loaded = sum(table.rows for table in report.tables if table.table != "bronze.quarantine")
    quarantined = sum(report.quarantined_by_type.values())
    assert loaded + quarantined == sum(f.records for f in report.files)
    if quarantined:
        assert all(q["reason"] for q in _table(catalog, "quarantine"))
    # The searchset Bundle's entries are taken one by one.
    bundle_file = str((EXAMPLES / "bundle-example.json").resolve())
    assert next(f for f in report.files if f.path == bundle_file).records == 2


def test_malformed_lines_are_quarantined_and_counted(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "export.ndjson"
    lines = [
        b'{"resourceType":"Patient","id":"a"}',
        b"",
        b"{not json",
        b"[1, 2]",
        b'{"id":"no-type"}',
        b'{"resourceType":"Patient"}',
        b'{"resourceType":"Patient","id":7}',
        b'{"resourceType":"not a type","id":"x"}',
        b'{"resourceType":"Patient","id":"b","name":[{"text":"\xe9"}]}',
        b'{"resourceType":"Patient","id":"c"}',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = load_fhir(catalog, [path], "run-1")
    assert [r["resource_id"] for r in _table(catalog, "fhir_patient")] == ["a", "c"]
    reasons = {q["source_line"]: q["reason"] for q in _table(catalog, "quarantine")}
    assert reasons[3].startswith("not JSON")
    assert reasons[4] == "not a JSON object (a list)"
    assert reasons[5] == "resource has no resourceType"
    assert reasons[6] == "resource has no id"
    assert reasons[7] == "id 7 is not a string"
    assert "not a FHIR resource type name" in reasons[8]
    assert reasons[9].startswith("not UTF-8 text (byte 0xe9")
    raw = next(q for q in _table(catalog, "quarantine") if q["source_line"] == 9)["raw_text"]
    assert "\\xe9" in raw
    file = report.files[0]
    assert (file.records, file.loaded, file.quarantined, file.blank_lines) == (9, 2, 7, 1)
    assert "count check: 9 records in = 2 loaded + 7 quarantined" in "\n".join(report.lines())


def test_windows_line_ends_and_a_byte_order_mark_are_tolerated(
    catalog: Catalog, tmp_path: Path
) -> None:
    """NDJSON and Bundles saved by Windows tools: CRLF line ends, a UTF-8 BOM opening the file
    (RFC 8259 lets a parser ignore it). A BOM later in the file is data, so not JSON."""
    ndjson = tmp_path / "windows.ndjson"
    ndjson.write_bytes(
        b'\xef\xbb\xbf{"resourceType":"Patient","id":"a"}\r\n'
        b'{"resourceType":"Patient","id":"b"}\r\n'
        b'\xef\xbb\xbf{"resourceType":"Patient","id":"c"}\r\n'
    )
    bundle = tmp_path / "windows.json"
    bundle.write_bytes(
        b'\xef\xbb\xbf{"resourceType":"Bundle","type":"collection","entry":[\r\n'
        b'{"resource":{"resourceType":"Patient","id":"d"}}]}\r\n'
    )
    load_fhir(catalog, [ndjson, bundle], "run-1")
    assert sorted(r["resource_id"] for r in _table(catalog, "fhir_patient")) == ["a", "b", "d"]
    (quarantined,) = _table(catalog, "quarantine")
    assert quarantined["source_line"] == 3
    assert quarantined["reason"].startswith("not JSON")


def test_a_bulk_data_manifest_beside_the_export_is_quarantined_as_such(
    catalog: Catalog, tmp_path: Path
) -> None:
    (tmp_path / "Patient.ndjson").write_text('{"resourceType":"Patient","id":"a"}\n')
    manifest = {
        "transactionTime": "2025-01-01T00:00:00Z",
        "request": "https://example.org/fhir/$export",
        "requiresAccessToken": True,
        "output": [{"type": "Patient", "url": "https://example.org/files/Patient.ndjson"}],
        "error": [],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    report = load_fhir(catalog, [tmp_path], "run-1")
    assert [r["resource_id"] for r in _table(catalog, "fhir_patient")] == ["a"]
    (quarantined,) = _table(catalog, "quarantine")
    assert quarantined["reason"].startswith("a Bulk Data export manifest")
    assert "count check: 2 records in = 1 loaded + 1 quarantined" in "\n".join(report.lines())


def test_empty_and_zero_byte_files_load_nothing(catalog: Catalog, tmp_path: Path) -> None:
    (tmp_path / "zero.ndjson").write_bytes(b"")
    (tmp_path / "zero.json").write_bytes(b"")
    (tmp_path / "blank.ndjson").write_text("\n\n  \n")
    report = load_fhir(catalog, [tmp_path], "run-1")
    assert not report.tables
    assert [f.records for f in report.files] == [0, 0, 0]
    assert "3 file(s) held no records" in "\n".join(report.lines())


def test_huge_line_loads_and_an_oversized_one_is_quarantined(
    catalog: Catalog, tmp_path: Path
) -> None:
    big = {"resourceType": "Binary", "id": "big", "data": "A" * 3_000_000}
    path = tmp_path / "big.ndjson"
    path.write_text(json.dumps(big) + "\n" + json.dumps({**big, "id": "bigger"}) + "x" * 10)
    report = load_fhir(catalog, [path], "run-1", max_record_bytes=3_000_055)
    assert [len(r["resource_json"]) for r in _table(catalog, "fhir_binary")] == [
        len(json.dumps(big))
    ]
    (quarantined,) = _table(catalog, "quarantine")
    assert quarantined["reason"].startswith("line of 3,000,064 bytes is over")
    assert len(quarantined["raw_text"]) == 64 * 1024
    assert report.files[0].records == 2


def test_same_run_again_replaces_its_rows(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_bundle("collection")))
    load_fhir(catalog, [path], "run-1")
    before = _snapshot(catalog, "fhir_patient")
    report = load_fhir(catalog, [path], "run-1")
    assert not report.skipped
    assert _snapshot(catalog, "fhir_patient") != before
    assert len(_table(catalog, "fhir_patient")) == 1
    assert len(_table(catalog, "quarantine")) == 1


def test_same_content_under_a_new_run_is_skipped_unless_forced(
    catalog: Catalog, tmp_path: Path
) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_bundle("collection")))
    load_fhir(catalog, [path], "run-1")
    copy = tmp_path / "copy" / "b.json"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    before = _snapshot(catalog, "fhir_patient")
    report = load_fhir(catalog, [path, copy], "run-2")
    assert [f.skipped for f in report.skipped] == [
        "unchanged since run run-1 loaded it",
        f"same content as {path.resolve()}, loaded by run run-1",
    ]
    assert _snapshot(catalog, "fhir_patient") == before
    load_fhir(catalog, [path], "run-3", force=True)
    patients = _table(catalog, "fhir_patient")
    assert [p["pipeline_run_id"] for p in patients] == ["run-3"]


def test_changed_file_drops_rows_of_types_it_no_longer_has(
    catalog: Catalog, tmp_path: Path
) -> None:
    path = tmp_path / "export.ndjson"
    path.write_text('{"resourceType":"Patient","id":"p"}\n{"resourceType":"Condition","id":"c"}\n')
    load_fhir(catalog, [path], "run-1")
    path.write_text('{"resourceType":"Patient","id":"p2"}\nbroken\n')
    load_fhir(catalog, [path], "run-2")
    assert [p["resource_id"] for p in _table(catalog, "fhir_patient")] == ["p2"]
    assert _table(catalog, "fhir_condition") == []
    assert len(_table(catalog, "quarantine")) == 1
    path.write_text('{"resourceType":"Patient","id":"p2"}\n')
    load_fhir(catalog, [path], "run-3")
    assert _table(catalog, "quarantine") == []


def test_load_interrupted_before_commit_leaves_every_table_as_it_was(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _load_and_snapshot(
        catalog,
        tmp_path / "first.ndjson",
        '{"resourceType":"Patient","id":"p"}\n{"resourceType":"Condition","id":"c"}\n',
        ("fhir_patient", "fhir_condition"),
    )
    second = tmp_path / "second.ndjson"
    second.write_text(
        '{"resourceType":"Patient","id":"q"}\n{"resourceType":"Condition","id":"d"}\nbad\n'
    )

    def killed(self: Transaction) -> None:
        raise KeyboardInterrupt("killed between data write and commit")

    monkeypatch.setattr(Transaction, "commit_transaction", killed)
    with pytest.raises(KeyboardInterrupt):
        load_fhir(catalog, [second], "run-2")
    monkeypatch.undo()
    assert {name: _snapshot(catalog, name) for name in before} == before
    # A table new in this load may exist, empty: it had no snapshot before and has none now.
    assert _snapshot(catalog, "quarantine") is None
    report = load_fhir(catalog, [second], "run-2")
    assert {t.table: t.rows for t in report.tables} == {
        "bronze.fhir_condition": 1,
        "bronze.fhir_patient": 1,
        "bronze.quarantine": 1,
    }
    assert len(_table(catalog, "fhir_patient")) == 2


def test_commit_that_loses_a_race_is_redone_on_top_of_the_winner(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = tmp_path / "ours.ndjson"
    ours.write_text('{"resourceType":"Patient","id":"ours"}\n')
    theirs = tmp_path / "theirs.ndjson"
    theirs.write_text('{"resourceType":"Patient","id":"theirs"}\n')
    load_fhir(catalog, [tmp_path / "ours.ndjson"], "setup")
    ours.write_text('{"resourceType":"Patient","id":"ours2"}\n')
    real_commit = Transaction.commit_transaction
    raced: list[LoadReport] = []

    def commit_after_a_rival(self: Transaction) -> Any:
        if not raced:
            # Another writer commits to the same table after our data files were written.
            monkeypatch.setattr(Transaction, "commit_transaction", real_commit)
            raced.append(load_fhir(catalog, [theirs], "rival"))
        return real_commit(self)

    written: list[tuple[str, dict[str, LedgerEntry]]] = []
    write_ledger = loaders._write_ledger_file

    def recording(table: Table, ledger: dict[str, LedgerEntry]) -> str:
        location = write_ledger(table, ledger)
        written.append((location, dict(ledger)))
        return location

    monkeypatch.setattr(loaders, "_write_ledger_file", recording)
    monkeypatch.setattr(Transaction, "commit_transaction", commit_after_a_rival)
    load_fhir(catalog, [ours], "run-2")
    assert raced
    ids = sorted(p["resource_id"] for p in _table(catalog, "fhir_patient"))
    assert ids == ["ours2", "theirs"]
    table = catalog.load_table("bronze.fhir_patient")
    ledger = table_ledger(table)
    assert {str(theirs.resolve()), str(ours.resolve())} == set(ledger)
    # Ours staged a ledger, the rival committed its own, and ours was redone with a fresh
    # ledger file built from the rival's state: the stale one is not reused.
    (stale, _), (rivals, _), (fresh, fresh_entries) = written
    assert len({stale, rivals, fresh}) == 3
    assert table.properties[LEDGER_LOCATION_PROPERTY] == fresh
    assert fresh_entries == ledger


def test_cli_prints_the_summary_and_one_line_errors(warehouse: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.ndjson"
    path.write_text('{"resourceType":"Patient","id":"a"}\nnope\n')
    done = python_module("iceberg", "ingest-fhir", str(path), "--run-id", "cli-1")
    assert done.returncode == 0, done.stderr
    assert "Patient: 1 / 0" in done.stdout
    assert "(unknown type): 0 / 1" in done.stdout
    assert "count check: 2 records in = 1 loaded + 1 quarantined" in done.stdout
    missing = python_module("iceberg", "ingest-fhir", str(tmp_path / "absent"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: ") and missing.stderr.count("\n") == 1
    assert "no such file or folder" in missing.stderr
    listed = python_module("iceberg", "snapshots", "fhir_patient")
    assert listed.returncode == 0 and "cli-1 (current)" in listed.stdout


def test_a_file_that_is_not_fhir_input_is_refused(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(SourceFileError, match=r"not FHIR input"):
        load_fhir(catalog, [path], "run-1")


# --- Gzipped input -----------------------------------------------------------------------------


def _gzip(path: Path, content: bytes) -> Path:
    path.write_bytes(gzip.compress(content))
    return path


def _patients_ndjson(count: int, prefix: str) -> bytes:
    """Patients, one per line, ids random enough that gzip cannot squeeze them to nothing."""
    return b"".join(
        b'{"resourceType":"Patient","id":"%s-%d-%s"}\n'
        % (prefix.encode(), n, os.urandom(12).hex().encode())
        for n in range(count)
    )


def test_gzipped_input_loads_exactly_like_plain(catalog: Catalog, tmp_path: Path) -> None:
    lines = (
        b'{"resourceType":"Patient","id":"a"}\n\n{not json\n{"resourceType":"Condition","id":"c"}\n'
    )
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "export.ndjson").write_bytes(lines)
    (plain / "bundle.json").write_text(json.dumps(_bundle("collection"), indent=2))
    load_fhir(catalog, [plain], "plain")
    expected = {name: _table(catalog, name) for name in ("fhir_patient", "quarantine")}

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    _gzip(mixed / "export.ndjson.gz", lines)
    _gzip(mixed / "bundle.JSON.GZ", json.dumps(_bundle("collection"), indent=2).encode())
    _gzip(mixed / "single.json.gz", b'\xef\xbb\xbf{"resourceType":"Patient","id":"s"}')
    _gzip(mixed / "more.jsonl.gz", b'{"resourceType":"Patient","id":"j"}\n')
    (mixed / "plain.ndjson").write_text('{"resourceType":"Patient","id":"x"}\n')
    _gzip(mixed / "notes.txt.gz", b"not fhir")
    report = load_fhir(catalog, [mixed], "gz")

    by_name = {Path(f.path).name: f for f in report.files}
    assert sorted(by_name) == [
        "bundle.JSON.GZ",
        "export.ndjson.gz",
        "more.jsonl.gz",
        "plain.ndjson",
        "single.json.gz",
    ]
    assert report.ignored == [str((mixed / "notes.txt.gz").resolve())]
    export = by_name["export.ndjson.gz"]
    assert (export.records, export.loaded, export.quarantined, export.blank_lines) == (3, 2, 1, 1)
    assert by_name["bundle.JSON.GZ"].records == 5
    # The hash that detects unchanged content is the file's bytes as stored (compressed).
    stored = (mixed / "export.ndjson.gz").read_bytes()
    assert export.sha256 == hashlib.sha256(stored).hexdigest()
    assert "count check: 11 records in = 9 loaded + 2 quarantined" in "\n".join(report.lines())

    def rows_of(name: str, folder: Path, file: str) -> list[tuple[Any, ...]]:
        source = str((folder / file).resolve())
        return sorted(
            (row["source_line"], row["resource_id"], row.get("reason"), row.get("resource_json"))
            for row in _table(catalog, name)
            if row["source_file"] == source
        )

    # Same rows, same (decompressed) line numbers and entry numbers as the plain files gave.
    for name in expected:
        assert rows_of(name, mixed, "export.ndjson.gz") == rows_of(name, plain, "export.ndjson")
        assert rows_of(name, mixed, "bundle.JSON.GZ") == rows_of(name, plain, "bundle.json")
    assert rows_of("fhir_patient", mixed, "single.json.gz")[0][:2] == (1, "s")

    again = load_fhir(catalog, [mixed], "gz-again")
    assert len(again.skipped) == 5 and not again.tables


def test_a_gzipped_file_named_explicitly_is_read_and_other_gz_refused(
    catalog: Catalog, tmp_path: Path
) -> None:
    path = _gzip(tmp_path / "Observation.ndjson.gz", b'{"resourceType":"Observation","id":"o"}\n')
    report = load_fhir(catalog, [path], "run-1")
    assert report.loaded_by_type == {"Observation": 1}
    other = _gzip(tmp_path / "export.csv.gz", b"a,b\n")
    with pytest.raises(SourceFileError, match=r"export\.csv\.gz: not FHIR input .*\.ndjson\.gz"):
        load_fhir(catalog, [other], "run-2")


def _truncated(content: bytes) -> bytes:
    compressed = gzip.compress(content)
    return compressed[: len(compressed) * 2 // 3]


def _corrupt(content: bytes) -> bytes:
    compressed = bytearray(gzip.compress(content))
    # A byte of the CRC-32 in the trailer: every line decompresses, then the check fails.
    compressed[-6] ^= 0xFF
    return bytes(compressed)


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_truncated, "gzip stream is truncated after line"),
        (_corrupt, "gzip stream is corrupt after line"),
        (lambda content: content, "gzip stream is corrupt after line 0 (Not a gzipped file"),
    ],
)
def test_damaged_gzip_commits_nothing_of_the_load(
    catalog: Catalog,
    tmp_path: Path,
    damage: Callable[[bytes], bytes],
    problem: str,
) -> None:
    before = _load_and_snapshot(
        catalog,
        tmp_path / "earlier.ndjson",
        '{"resourceType":"Patient","id":"earlier"}\nbad earlier\n',
        ("fhir_patient", "quarantine"),
    )
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "a-good.ndjson").write_text('{"resourceType":"Patient","id":"good"}\nbad\n')
    damaged = folder / "b-damaged.ndjson.gz"
    damaged.write_bytes(damage(_patients_ndjson(5000, "lost") + b"broken\n"))
    read: list[FhirRecord] = []
    with pytest.raises(SourceFileError) as raised:
        read.extend(read_records(damaged, FileReading()))
    message = str(raised.value)
    assert message.startswith(f"{damaged}: {problem}") and "\n" not in message
    assert "nothing of this load was committed" in message and "gzip -t" in message
    if damage is not _truncated and damage is not _corrupt:
        assert not read
    else:
        # Records before the damage were read (and would go to the spill) ...
        assert len(read) > 100
    with pytest.raises(SourceFileError, match=re.escape(problem)):
        load_fhir(catalog, [folder], "run-2")
    # ... but nothing of the load commits: not them, nor the good file read before.
    assert {name: _snapshot(catalog, name) for name in before} == before
    assert [p["resource_id"] for p in _table(catalog, "fhir_patient")] == ["earlier"]
    assert [q["raw_text"] for q in _table(catalog, "quarantine")] == ["bad earlier"]


def test_damaged_gzipped_bundle_commits_nothing(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "bundle.json.gz"
    path.write_bytes(_truncated(json.dumps(_bundle("collection")).encode() * 50))
    with pytest.raises(SourceFileError, match=r"bundle\.json\.gz: gzip stream is truncated in"):
        load_fhir(catalog, [path], "run-1")
    assert not catalog.table_exists("bronze.fhir_patient") or not _table(catalog, "fhir_patient")


def test_gzipped_document_over_the_limit_counts_decompressed_bytes(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = json.dumps(_bundle("collection"), indent=2).encode()
    monkeypatch.setattr(fhir_input, "MAX_DOCUMENT_BYTES", len(document) - 1)
    path = _gzip(tmp_path / "big.json.gz", document)
    assert path.stat().st_size < len(document) - 1
    report = load_fhir(catalog, [path], "run-1")
    (quarantined,) = _table(catalog, "quarantine")
    assert quarantined["reason"].startswith(f"JSON document of {len(document):,} bytes is over")
    assert quarantined["raw_text"] == document.decode().strip()
    assert (report.files[0].records, report.files[0].quarantined) == (1, 1)
    monkeypatch.setattr(fhir_input, "MAX_DOCUMENT_BYTES", len(document))
    report = load_fhir(catalog, [path], "run-2", force=True)
    assert report.files[0].loaded == 4


def test_cli_damaged_gzip_is_one_line_and_a_failing_exit(warehouse: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.ndjson.gz"
    path.write_bytes(_truncated(_patients_ndjson(3000, "p")))
    done = python_module("iceberg", "ingest-fhir", str(path), "--run-id", "cli-gz")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: {path}: gzip stream is truncated after line ")
