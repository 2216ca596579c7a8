"""Table definitions evolve safely; snapshots, time travel, maintenance and concurrent loaders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog

from iceberg.exceptions import SchemaChangeError, SnapshotNotFoundError
from iceberg.loaders import load_fhir
from iceberg.maintenance import maintain_namespace
from iceberg.tables import FHIR_SCHEMA, BronzeTable, ensure_table
from iceberg.time_travel import open_table, read_as_of, snapshots
from tests.conftest import REPO_ROOT


def _ndjson(path: Path, *ids: str) -> Path:
    path.write_text("".join(f'{{"resourceType":"Patient","id":"{i}"}}\n' for i in ids))
    return path


def _ids(reader: pa.RecordBatchReader) -> list[str]:
    return sorted(reader.read_all().column("resource_id").to_pylist())


def test_definition_grows_by_an_optional_column(catalog: Catalog) -> None:
    ensure_table(catalog, BronzeTable("fhir_patient", FHIR_SCHEMA))
    grown = FHIR_SCHEMA.append(pa.field("source_format", pa.string()))
    table = ensure_table(catalog, BronzeTable("fhir_patient", grown))
    assert "source_format" in table.schema().as_arrow().names


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            pa.field("resource_id", pa.int64(), nullable=False),
            "resource_id is .*string in the catalog but the definition says int64",
        ),
        (pa.field("required_new", pa.string(), nullable=False), "adds required column"),
    ],
)
def test_incompatible_definition_change_is_refused(
    catalog: Catalog, change: pa.Field, message: str
) -> None:
    ensure_table(catalog, BronzeTable("fhir_patient", FHIR_SCHEMA))
    names = FHIR_SCHEMA.names
    if change.name in names:
        changed = FHIR_SCHEMA.set(names.index(change.name), change)
    else:
        changed = FHIR_SCHEMA.append(change)
    with pytest.raises(SchemaChangeError, match=message):
        ensure_table(catalog, BronzeTable("fhir_patient", changed))


def test_snapshots_carry_run_ids_and_tables_read_as_of_them(
    catalog: Catalog, tmp_path: Path
) -> None:
    load_fhir(catalog, [_ndjson(tmp_path / "a.ndjson", "a1", "a2")], "run-a")
    load_fhir(catalog, [_ndjson(tmp_path / "b.ndjson", "b1")], "run-b")
    listed = snapshots(open_table(catalog, "fhir_patient"))
    assert {s.run_id for s in listed} == {"run-a", "run-b"}
    assert listed[-1].is_current and listed[-1].total_rows == 3
    assert _ids(read_as_of(catalog, "fhir_patient", run_id="run-a")) == ["a1", "a2"]
    first = listed[0].snapshot_id
    assert _ids(read_as_of(catalog, "bronze.fhir_patient", snapshot_id=first)) == ["a1", "a2"]
    assert len(_ids(read_as_of(catalog, "fhir_patient"))) == 3
    with pytest.raises(SnapshotNotFoundError, match="run-zzz"):
        read_as_of(catalog, "fhir_patient", run_id="run-zzz")


def test_maintain_compacts_and_expires_without_changing_results(
    catalog: Catalog, tmp_path: Path
) -> None:
    for number in range(6):
        load_fhir(catalog, [_ndjson(tmp_path / f"{number}.ndjson", f"p{number}")], f"run-{number}")
    before = _ids(read_as_of(catalog, "fhir_patient"))
    table = catalog.load_table("bronze.fhir_patient")
    assert len(table.inspect.data_files()) == 6
    (done,) = maintain_namespace(catalog, keep=2, run_id="maint")
    assert done.compacted and (done.files_before, done.files_after) == (6, 1)
    assert done.snapshots_expired > 0 and done.files_deleted > 0
    assert _ids(read_as_of(catalog, "fhir_patient")) == before
    table = catalog.load_table("bronze.fhir_patient")
    assert len(table.metadata.snapshots) == 2
    # Every file the kept snapshots need is still there; the data files only old ones held are gone.
    data = Path(table.location().removeprefix("file://")) / "data"
    on_disk = {str(p) for p in data.rglob("*.parquet")}
    kept = {
        p.removeprefix("file://") for p in table.inspect.all_files().column("file_path").to_pylist()
    }
    assert kept <= on_disk and len(on_disk) == len(kept)
    with pytest.raises(SnapshotNotFoundError, match="expired"):
        read_as_of(catalog, "fhir_patient", run_id="run-0")
    # Loading after maintenance still replaces, never doubles.
    load_fhir(catalog, [_ndjson(tmp_path / "0.ndjson", "p0-new")], "run-7")
    assert len(_ids(read_as_of(catalog, "fhir_patient"))) == 6


LOADER = """
import sys, time
from pathlib import Path
from iceberg.catalog import load_catalog
from iceberg.loaders import load_fhir
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.01)
report = load_fhir(load_catalog("local", create=True), [Path(sys.argv[2])], sys.argv[3])
print(sum(t.rows for t in report.tables))
"""


def test_two_loader_processes_at_once_lose_no_append(
    catalog: Catalog, tmp_path: Path, warehouse: Path
) -> None:
    # Both processes write the same table; the catalog and table exist, so they race on commits.
    load_fhir(catalog, [_ndjson(tmp_path / "seed.ndjson", "seed")], "seed")
    go = tmp_path / "go"
    loaders = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                LOADER,
                str(go),
                str(_ndjson(tmp_path / f"{n}.ndjson", *[f"{n}-{i}" for i in range(500)])),
                f"run-{n}",
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in ("x", "y")
    ]
    go.touch()
    outputs = [loader.communicate(timeout=120) for loader in loaders]
    assert [loader.returncode for loader in loaders] == [0, 0], outputs
    assert [out.strip() for out, _ in outputs] == ["500", "500"]
    assert len(_ids(read_as_of(catalog, "fhir_patient"))) == 1001
