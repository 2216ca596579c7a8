"""Reading real FHIR R4 input: Bulk Data NDJSON and JSON documents (Bundles or single resources).

Every record read is either a resource to load or a quarantined record with its reason; nothing
is dropped. A record is one non-blank NDJSON line, one `Bundle.entry`, or one whole document that
is a single resource (or that could not be read as JSON at all). The loader checks, per file,
that records in = resources loaded + records quarantined.

Any of these files may be gzip-compressed (`*.ndjson.gz`, `*.jsonl.gz`, `*.json.gz`): it is read
as a stream, line numbers and size limits count decompressed bytes, and a corrupt or truncated
stream stops the load (`SourceFileError`) instead of loading the part before the damage.

Resources are kept as they are: extensions, contained resources, `urn:uuid:` references and
choice types (`value[x]`, `effective[x]`) all stay in the raw JSON; only the few columns every
reader needs are lifted out (see `iceberg.tables`).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from iceberg.exceptions import SourceFileError

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
DOCUMENT_SUFFIXES = (".json",)
# Any input may be gzip-compressed: `Observation.ndjson.gz`.
GZIP_SUFFIX = ".gz"
# A longer NDJSON line is quarantined (its first bytes kept) instead of held in memory whole.
MAX_RECORD_BYTES = 64 * 1024 * 1024
# A JSON document (a Bundle) is parsed whole; beyond this, split it into NDJSON first.
MAX_DOCUMENT_BYTES = 1024 * 1024 * 1024
# How much of a record too large to load is kept in the quarantine.
QUARANTINE_PREVIEW_BYTES = 64 * 1024

# What a damaged gzip stream raises while being read: a bad header, CRC or length (BadGzipFile,
# an OSError), invalid deflate data (zlib.error), or an end before the end-of-stream marker.
_GZIP_ERRORS = (gzip.BadGzipFile, zlib.error, EOFError)
_UTF8_BOM = b"\xef\xbb\xbf"
# Decompressed bytes read at a time from a gzipped JSON document.
_CHUNK_BYTES = 1 << 20

# FHIR resource type names are upper camel case letters (R4: `MedicationRequest`).
_RESOURCE_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")


@dataclass(frozen=True)
class FhirRecord:
    """One record of an input file: a resource to load, or a record to quarantine and why."""

    line: int
    raw_text: str
    resource: dict[str, Any] | None
    reason: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    # `Patient/<id>` of the Bundle's only Patient, when the record came from a Bundle with one.
    bundle_patient: str | None = None


@dataclass
class FileReading:
    """What reading one file found: records in, and blank lines (counted, not records)."""

    records: int = 0
    blank_lines: int = 0
    bundle_entries: int | None = None


@dataclass
class InputScan:
    """What a scan of the input paths found: the files to read, and every entry it skipped.

    A hidden entry (a name starting with `.`) counts once where the scan met it: a hidden
    folder such as `.git` or `.venv` is one entry, and nothing under it is looked at.
    """

    inputs: list[Path] = field(default_factory=list)
    # Files in the folders whose suffix is not a FHIR input suffix.
    ignored: list[Path] = field(default_factory=list)
    hidden: list[Path] = field(default_factory=list)
    # Symbolic links whose target does not exist.
    dangling: list[Path] = field(default_factory=list)
    # Folders reached a second time through a symbolic link (a link loop, or two links to one
    # folder): scanned once.
    repeated: list[Path] = field(default_factory=list)

    def skipped_line(self) -> str | None:
        """One line for the ingest report: how many entries were skipped, by reason."""
        reasons = [
            (len(self.hidden), "hidden", "hidden"),
            (len(self.dangling), "dangling link", "dangling links"),
            (len(self.ignored), "not FHIR by extension", "not FHIR by extension"),
            (len(self.repeated), "folder already scanned (link)", "folders already scanned (link)"),
        ]
        parts = [f"{n:,} {one if n == 1 else many}" for n, one, many in reasons if n]
        if not parts:
            return None
        total = sum(n for n, _, _ in reasons)
        line = f"skipped {total:,} {'entry' if total == 1 else 'entries'}: {', '.join(parts)}"
        if self.ignored:
            line += f" ({', '.join(str(path) for path in self.ignored[:3])}"
            line += ", ...)" if len(self.ignored) > 3 else ")"
        return line


def find_inputs(paths: list[Path]) -> InputScan:
    """The FHIR input files under `paths` (files or folders, searched recursively), sorted.

    In folders, what a user does not mean as input is skipped and counted by reason: hidden
    files and folders (`.git`, `.venv`, `warehouse/.generated.*` staging folders), dangling
    symbolic links, and files whose suffix is not .ndjson, .jsonl or .json (each optionally
    followed by .gz). A path named explicitly is read even when hidden: the user asked for it.

    Symbolic links are followed, to files and to folders; each real folder is scanned once, so
    a link loop (`a/loop -> a`) ends, and a file reached by two names is read once.

    Raises:
        SourceFileError: a path does not exist, or a file named explicitly is not FHIR input.
    """
    scan = InputScan()
    inputs: set[Path] = set()
    scanned: set[Path] = set()
    for path in paths:
        if path.is_dir():
            _scan_folder(path, scan, inputs, scanned)
        elif path.is_file():
            if not _is_input(path):
                raise SourceFileError(
                    f"{path}: not FHIR input (expected .ndjson, .jsonl or .json, optionally "
                    "gzipped as .ndjson.gz, .jsonl.gz or .json.gz); rename it or pass its folder"
                )
            inputs.add(path.resolve())
        elif path.is_symlink():
            raise SourceFileError(f"{path}: a symbolic link to nothing; fix the link or the path")
        else:
            raise SourceFileError(f"{path}: no such file or folder; check the path")
    scan.inputs = sorted(inputs)
    for found in (scan.ignored, scan.hidden, scan.dangling, scan.repeated):
        found.sort()
    return scan


def _scan_folder(top: Path, scan: InputScan, inputs: set[Path], scanned: set[Path]) -> None:
    """Add the input files under folder `top` to `inputs`, and the skipped entries to `scan`."""
    pending = [top]
    while pending:
        folder = pending.pop()
        real = folder.resolve()
        if real in scanned:
            scan.repeated.append(folder)
            continue
        scanned.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            raise SourceFileError(
                f"{folder}: cannot list this folder ({error.strerror}); check its permissions"
            ) from error
        for entry in entries:
            found = Path(entry.path)
            if entry.name.startswith("."):
                scan.hidden.append(found)
            elif entry.is_dir():  # follows a link to a folder
                pending.append(found)
            elif entry.is_file():  # follows a link to a file
                if _is_input(found):
                    inputs.add(found.resolve())
                else:
                    scan.ignored.append(found.resolve())
            elif entry.is_symlink() and not found.exists():
                scan.dangling.append(found)
            # Anything else (a socket, a FIFO, a device) is not a file to read: not listed.


def _is_input(path: Path) -> bool:
    return _format_suffix(path) in (*NDJSON_SUFFIXES, *DOCUMENT_SUFFIXES)


def _format_suffix(path: Path) -> str:
    """The suffix that says how to read the content: `.ndjson` for `a.ndjson` and `a.ndjson.gz`."""
    name = path.name.lower()
    return Path(name.removesuffix(GZIP_SUFFIX)).suffix if _is_gzip(path) else Path(name).suffix


def _is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(GZIP_SUFFIX)


def read_records(
    path: Path, reading: FileReading, *, max_record_bytes: int = MAX_RECORD_BYTES
) -> Iterator[FhirRecord]:
    """Every record of `path`, counting them (and blank lines) into `reading`.

    Raises:
        SourceFileError: `path` is gzipped and its stream is corrupt or truncated (raised when
            the damage is reached: records before it have been yielded, so a caller must not
            commit anything read from this file).
    """
    if _format_suffix(path) in NDJSON_SUFFIXES:
        records = _ndjson_records(path, reading, max_record_bytes)
    else:
        records = _document_records(path, reading)
    for record in records:
        reading.records += 1
        yield record


def _open(path: Path) -> Any:
    """A binary reader of the file's content: decompressed as it is read if gzipped."""
    return gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")


def _damaged(path: Path, error: Exception, where: str) -> SourceFileError:
    problem = "truncated" if isinstance(error, EOFError) else "corrupt"
    detail = str(error) or type(error).__name__
    return SourceFileError(
        f"{path}: gzip stream is {problem} {where} ({detail}); nothing of this load was "
        "committed. Copy or export the file again (check it with `gzip -t`) and run the load again"
    )


def _ndjson_records(path: Path, reading: FileReading, max_bytes: int) -> Iterator[FhirRecord]:
    try:
        with _open(path) as handle:
            yield from _ndjson_lines(handle, reading, max_bytes)
    except _GZIP_ERRORS as error:
        # Every line before the damage was whole: they are the records and blank lines counted.
        lines = reading.records + reading.blank_lines
        raise _damaged(path, error, f"after line {lines:,}") from error


def _ndjson_lines(handle: Any, reading: FileReading, max_bytes: int) -> Iterator[FhirRecord]:
    number = 0
    while True:
        # Bounded read: a "line" of gigabytes (a binary file, a missing newline) must not
        # be held in memory whole.
        raw = handle.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if number == 1:
            # A UTF-8 byte order mark (Windows tools write one) opens the file, not the record.
            raw = raw.removeprefix(_UTF8_BOM)
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            size = len(raw) + _skip_rest_of_line(handle)
            yield FhirRecord(
                number,
                _as_text(raw[:QUARANTINE_PREVIEW_BYTES]),
                None,
                f"line of {size:,} bytes is over the {max_bytes:,}-byte limit "
                f"(first {QUARANTINE_PREVIEW_BYTES:,} bytes kept)",
            )
            continue
        if not raw.strip():
            reading.blank_lines += 1
            continue
        yield _record_from_bytes(number, raw.strip())


def _skip_rest_of_line(handle: Any) -> int:
    skipped = 0
    while True:
        chunk: bytes = handle.readline(1 << 20)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _document_records(path: Path, reading: FileReading) -> Iterator[FhirRecord]:
    if _is_gzip(path):
        try:
            data, size = _read_gzip_document(path)
        except _GZIP_ERRORS as error:
            raise _damaged(path, error, "in its JSON document") from error
    else:
        size = path.stat().st_size
        data = path.read_bytes() if size <= MAX_DOCUMENT_BYTES else None
    if data is None:
        with _open(path) as handle:
            preview = handle.read(QUARANTINE_PREVIEW_BYTES)
        yield FhirRecord(
            1,
            _as_text(preview),
            None,
            f"JSON document of {size:,} bytes is over the {MAX_DOCUMENT_BYTES:,}-byte limit; "
            "split it into NDJSON (one resource per line)",
        )
        return
    data = data.strip()
    if not data:
        return
    data = data.removeprefix(_UTF8_BOM)
    parsed = _parse(data)
    if isinstance(parsed, str):
        yield FhirRecord(1, _as_text(data), None, parsed)
        return
    if not (isinstance(parsed, dict) and parsed.get("resourceType") == "Bundle"):
        yield _record_from_value(1, data.decode("utf-8"), parsed)
        return
    entries = parsed.get("entry", [])
    if not isinstance(entries, list):
        yield FhirRecord(1, data.decode("utf-8"), None, "Bundle.entry is not a list")
        return
    reading.bundle_entries = len(entries)
    bundle_patient = _only_patient(entries)
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            request = entry.get("request") if isinstance(entry, dict) else None
            detail = ""
            if isinstance(request, dict) and request.get("method"):
                detail = f" (request {request.get('method')} {request.get('url', '')})".rstrip()
            yield FhirRecord(
                index, _dumps(entry), None, f"Bundle entry {index} has no resource{detail}"
            )
            continue
        resource = entry["resource"]
        record = _record_from_value(index, _dumps(resource), resource)
        yield replace(record, bundle_patient=bundle_patient) if bundle_patient else record


def _only_patient(entries: list[Any]) -> str | None:
    """`Patient/<id>` when exactly one Patient (by id) is among a Bundle's entries."""
    ids = {
        entry["resource"].get("id")
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("resource"), dict)
        and entry["resource"].get("resourceType") == "Patient"
    }
    if len(ids) == 1 and isinstance(only := next(iter(ids)), str) and only:
        return f"Patient/{only}"
    return None


def _read_gzip_document(path: Path) -> tuple[bytes | None, int]:
    """A gzipped document's decompressed bytes (None when over the limit) and their size.

    Read in chunks so that no more than the limit is ever held; an oversized document is still
    read to its end, to tell its size and to check the stream's CRC.
    """
    chunks: list[bytes] | None = []
    size = 0
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            size += len(chunk)
            if chunks is not None and size > MAX_DOCUMENT_BYTES:
                chunks = None
            if chunks is not None:
                chunks.append(chunk)
    return (b"".join(chunks) if chunks is not None else None), size


def _parse(data: bytes) -> Any:
    """The parsed JSON value, or a reason (str) why the bytes are not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return f"not UTF-8 text (byte 0x{data[bad.start]:02x} at offset {bad.start})"
        try:
            # orjson refuses a few things the JSON grammar allows (integers beyond 64 bits).
            return json.loads(text)
        except json.JSONDecodeError:
            return f"not JSON ({error.msg.split(':')[0]})"


def _record_from_bytes(number: int, raw: bytes) -> FhirRecord:
    parsed = _parse(raw)
    if isinstance(parsed, str):
        return FhirRecord(number, _as_text(raw), None, parsed)
    return _record_from_value(number, raw.decode("utf-8"), parsed)


def _record_from_value(number: int, text: str, value: Any) -> FhirRecord:
    if not isinstance(value, dict):
        return FhirRecord(number, text, None, f"not a JSON object (a {type(value).__name__})")
    resource_type = value.get("resourceType")
    resource_id = value.get("id")
    shown_type = resource_type if isinstance(resource_type, str) else None
    shown_id = resource_id if isinstance(resource_id, str) else None
    if not resource_type and {"transactionTime", "output"} <= value.keys():
        # Saved beside the files of a `$export`: it lists them, it is not a resource.
        reason = "a Bulk Data export manifest (transactionTime, output), not a FHIR resource"
    elif not resource_type:
        reason = "resource has no resourceType"
    elif not isinstance(resource_type, str) or not _RESOURCE_TYPE.match(resource_type):
        reason = f"resourceType {resource_type!r} is not a FHIR resource type name"
        shown_type = None
    elif resource_id is None or resource_id == "":
        reason = "resource has no id"
    elif not isinstance(resource_id, str):
        reason = f"id {resource_id!r} is not a string"
    else:
        return FhirRecord(number, text, value, None, resource_type, resource_id)
    return FhirRecord(number, text, None, reason, shown_type, shown_id)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def _as_text(raw: bytes) -> str:
    """Bytes as text for the quarantine: bytes that are not UTF-8 become visible escapes."""
    return raw.decode("utf-8", errors="backslashreplace").strip()


# Types whose patient is their `subject` or `patient` (the FHIR Patient compartment's clinical
# resources): one of these that names no patient belongs to its Bundle's only Patient, if any.
PATIENT_SUBJECT_TYPES = frozenset(
    {
        "AllergyIntolerance", "CarePlan", "CareTeam", "Claim", "ClinicalImpression", "Condition",
        "Coverage", "Device", "DiagnosticReport", "DocumentReference", "Encounter",
        "EpisodeOfCare", "ExplanationOfBenefit", "FamilyMemberHistory", "Goal", "Immunization",
        "MedicationAdministration", "MedicationDispense", "MedicationRequest",
        "MedicationStatement", "Observation", "Procedure", "QuestionnaireResponse",
        "ServiceRequest", "Specimen",
    }
)  # fmt: skip


def patient_reference(resource: dict[str, Any], bundle_patient: str | None = None) -> str | None:
    """What the resource says its patient is: `Patient/<id>` for a Patient, else the reference
    of `subject`, `patient` or `beneficiary`, verbatim (`Patient/1`, `urn:uuid:...`, `#p1`).

    A clinical resource (PATIENT_SUBJECT_TYPES) that names none, read from a Bundle whose only
    Patient is `bundle_patient`, is that Patient's: documents converted from C-CDA leave
    `Encounter.subject` out, and the document is about one patient.
    """
    if resource.get("resourceType") == "Patient":
        return f"Patient/{resource.get('id')}"
    for key in ("subject", "patient", "beneficiary"):
        value = resource.get(key)
        if isinstance(value, dict) and isinstance(value.get("reference"), str):
            return str(value["reference"])
    names_none = not any(key in resource for key in ("subject", "patient"))
    if bundle_patient and names_none and resource.get("resourceType") in PATIENT_SUBJECT_TYPES:
        return bundle_patient
    return None


def last_updated(resource: dict[str, Any]) -> str | None:
    """`meta.lastUpdated` as written (an instant string), if present."""
    meta = resource.get("meta")
    value = meta.get("lastUpdated") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None
