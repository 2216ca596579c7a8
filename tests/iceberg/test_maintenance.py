"""`just maintain`: compaction rewrites only small files, and orphan files are deleted."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.expressions import AlwaysFalse
from pyiceberg.table import Table, Transaction

from iceberg import streaming
from iceberg.loaders import LEDGER_LOCATION_PROPERTY, load_fhir
from iceberg.maintenance import maintain_namespace, maintain_table
from iceberg.tables import FHIR_SCHEMA, ensure_table, fhir_table
from tests.conftest import python_module

ROWS_PER_BATCH = 200
# A full data file of the test tables holds this many batches.
BATCHES_PER_FILE = 4
PATIENTS = "bronze.fhir_patient"


def _batch(first: int) -> pa.RecordBatch:
    ids = [f"p{n:06d}" for n in range(first, first + ROWS_PER_BATCH)]
    return pa.RecordBatch.from_pydict(
        {
            "resource_type": ["Patient"] * ROWS_PER_BATCH,
            "resource_id": ids,
            "last_updated": ["2025-01-01T00:00:00Z"] * ROWS_PER_BATCH,
            "patient_reference": [f"Patient/{i}" for i in ids],
            "resource_json": ['{"resourceType":"Patient","id":"' + i + '"}' for i in ids],
            "source_file": [f"/in/{first}.ndjson"] * ROWS_PER_BATCH,
            "source_line": list(range(first, first + ROWS_PER_BATCH)),
            "pipeline_run_id": ["run-1"] * ROWS_PER_BATCH,
            "loaded_at": [datetime(2025, 1, 1)] * ROWS_PER_BATCH,
        },
        schema=FHIR_SCHEMA,
    )


def _small_target_table(catalog: Catalog) -> Table:
    """bronze.fhir_patient with data files of BATCHES_PER_FILE batches: several files fast."""
    table = ensure_table(catalog, fhir_table("Patient"))
    target = _batch(0).nbytes * BATCHES_PER_FILE
    with table.transaction() as transaction:
        transaction.set_properties({"write.target-file-size-bytes": str(target)})
    return catalog.load_table(PATIENTS)


def _append(catalog: Catalog, first_batch: int, batches: int) -> None:
    """One commit appending `batches` batches (one data file per BATCHES_PER_FILE of them)."""
    table = catalog.load_table(PATIENTS)
    transaction = table.transaction()
    streaming.overwrite(
        transaction,
        table.io,
        FHIR_SCHEMA,
        (_batch((first_batch + n) * ROWS_PER_BATCH) for n in range(batches)),
        AlwaysFalse(),
        {"healthlake.run-id": f"append-{first_batch}"},
    )
    transaction.commit_transaction()


def _data_files(catalog: Catalog, name: str = PATIENTS) -> dict[str, int]:
    """Path -> rows of the current snapshot's data files."""
    table = catalog.load_table(name)
    return {task.file.file_path: task.file.record_count for task in table.scan().plan_files()}


def _rows(catalog: Catalog, name: str = PATIENTS) -> list[tuple[object, ...]]:
    """Every row of the table, all columns, sorted."""
    table = catalog.load_table(name).scan().to_arrow()
    return sorted(zip(*(column.to_pylist() for column in table.columns), strict=True))


def _on_disk(catalog: Catalog) -> set[Path]:
    """Every file under the bronze tables' locations."""
    root = Path(catalog.load_table(PATIENTS).location().removeprefix("file://")).parent
    return {path for path in root.rglob("*") if path.is_file()}


def _current_snapshot_id(catalog: Catalog, name: str = PATIENTS) -> int | None:
    snapshot = catalog.load_table(name).current_snapshot()
    return snapshot.snapshot_id if snapshot else None


def test_only_small_files_are_rewritten_and_a_second_run_does_nothing(catalog: Catalog) -> None:
    _small_target_table(catalog)
    _append(catalog, 0, 3 * BATCHES_PER_FILE)  # three full files
    for number in range(3):  # three small files: one batch each
        _append(catalog, 100 + number, 1)
    before = _data_files(catalog)
    full = {path for path, rows in before.items() if rows == BATCHES_PER_FILE * ROWS_PER_BATCH}
    assert (len(before), len(full)) == (6, 3)
    rows = _rows(catalog)

    done = maintain_table(catalog, PATIENTS, run_id="maint", orphan_age=timedelta(0))
    assert (done.files_before, done.files_rewritten, done.files_written) == (6, 3, 1)
    assert done.files_after == 4
    assert "compacted 3 small of 6 data file(s) into 1 (6 -> 4)" in done.describe()
    after = _data_files(catalog)
    assert full <= set(after) and len(after) == 4
    assert _rows(catalog) == rows
    summary = catalog.load_table(PATIENTS).current_snapshot().summary  # type: ignore[union-attr]
    assert summary is not None
    assert (summary["healthlake.run-id"], summary["healthlake.operation"]) == ("maint", "compact")
    assert summary.operation.value == "overwrite"

    snapshot = _current_snapshot_id(catalog)
    again = maintain_table(catalog, PATIENTS, run_id="maint-2", orphan_age=timedelta(0))
    assert not again.compacted and again.orphans_deleted == 0
    assert _current_snapshot_id(catalog) == snapshot
    assert _data_files(catalog) == after


def test_files_of_many_small_loads_compact_into_fewer(catalog: Catalog, tmp_path: Path) -> None:
    for number in range(5):
        source = tmp_path / f"{number}.ndjson"
        source.write_text(
            "".join(f'{{"resourceType":"Patient","id":"{number}-{i}"}}\n' for i in range(20))
        )
        load_fhir(catalog, [source], f"run-{number}")
    assert len(_data_files(catalog)) == 5
    rows = _rows(catalog)
    (done,) = maintain_namespace(catalog, run_id="maint", orphan_age=timedelta(0))
    assert (done.files_rewritten, done.files_written, done.files_after) == (5, 1, 1)
    assert _rows(catalog) == rows
    snapshot = _current_snapshot_id(catalog)
    (again,) = maintain_namespace(catalog, run_id="maint-2", orphan_age=timedelta(0))
    assert not again.compacted and _current_snapshot_id(catalog) == snapshot
    assert "1 data file(s), no compaction needed" in again.describe()


def test_a_compaction_that_loses_a_race_is_redone_on_the_winner(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(3):
        source = tmp_path / f"{number}.ndjson"
        source.write_text(f'{{"resourceType":"Patient","id":"p{number}"}}\n')
        load_fhir(catalog, [source], f"run-{number}")
    rival = tmp_path / "rival.ndjson"
    rival.write_text('{"resourceType":"Patient","id":"rival"}\n')
    real_commit = Transaction.commit_transaction
    raced = []

    def commit_after_a_rival(self: Transaction) -> Table:
        if not raced:
            # A loader commits to the table after the compaction wrote its files.
            monkeypatch.setattr(Transaction, "commit_transaction", real_commit)
            raced.append(load_fhir(catalog, [rival], "rival"))
        return real_commit(self)

    monkeypatch.setattr(Transaction, "commit_transaction", commit_after_a_rival)
    (done,) = maintain_namespace(catalog, run_id="maint", orphan_age=timedelta(0))
    assert raced
    # Planned again on the rival's snapshot: its file is compacted too.
    assert (done.files_rewritten, done.files_written, done.files_after) == (4, 1, 1)
    ids = [row[1] for row in _rows(catalog)]
    assert sorted(ids) == ["p0", "p1", "p2", "rival"]
    # The lost attempt's files are gone: every data file on disk is referenced.
    table = catalog.load_table(PATIENTS)
    kept = {
        path.removeprefix("file://") for path in table.inspect.all_files()["file_path"].to_pylist()
    }
    assert {str(path) for path in _on_disk(catalog) if path.parent.name == "data"} == kept


def test_files_of_a_load_killed_before_its_commit_are_deleted_once_old_enough(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "first.ndjson"
    first.write_text('{"resourceType":"Patient","id":"p"}\n{"resourceType":"Condition","id":"c"}\n')
    load_fhir(catalog, [first], "run-1")
    rows = {name: _rows(catalog, name) for name in (PATIENTS, "bronze.fhir_condition")}
    referenced = _on_disk(catalog)
    second = tmp_path / "second.ndjson"
    second.write_text(
        '{"resourceType":"Patient","id":"q"}\n{"resourceType":"Condition","id":"d"}\n'
    )

    def killed(self: Transaction) -> None:
        raise KeyboardInterrupt("killed between data write and commit")

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(Transaction, "commit_transaction", killed)
        load_fhir(catalog, [second], "run-2")
    orphans = _on_disk(catalog) - referenced
    # Data files, and the manifests and manifest lists staged for the commits that never came.
    assert {path.suffix for path in orphans} == {".parquet", ".avro"}

    # Just written: the default grace period keeps them (a load may still be committing them).
    young = python_module("iceberg", "maintain")
    assert young.returncode == 0, young.stderr
    kept = re.findall(r"deleted 0 orphan file\(s\) \((\d+) too recent, kept\)", young.stdout)
    assert sum(int(count) for count in kept) == len(orphans), young.stdout
    assert "--orphan-age-minutes 0 deletes them now" in young.stdout
    assert _on_disk(catalog) == referenced | orphans

    done = maintain_namespace(catalog, orphan_age=timedelta(0))
    assert sum(table.orphans_deleted for table in done) == len(orphans)
    assert _on_disk(catalog) == referenced
    assert {name: _rows(catalog, name) for name in rows} == rows
    # The table still loads and reads as before.
    load_fhir(catalog, [second], "run-2")
    assert len(_rows(catalog)) == 2


def test_a_file_named_by_a_table_property_is_kept_and_a_stray_one_deleted(
    catalog: Catalog, tmp_path: Path
) -> None:
    source = tmp_path / "p.ndjson"
    source.write_text('{"resourceType":"Patient","id":"p"}\n')
    load_fhir(catalog, [source], "run-1")
    table = catalog.load_table(PATIENTS)
    metadata = Path(table.location().removeprefix("file://")) / "metadata"
    current_ledger = metadata / "ledger-2.parquet"
    plain_path_ledger = metadata / "other-ledger.parquet"
    old_ledger = metadata / "ledger-1.parquet"
    stray = metadata / "stray.txt"
    for path in (current_ledger, plain_path_ledger, old_ledger, stray):
        path.write_bytes(b"not referenced by any snapshot")
    with table.transaction() as transaction:
        transaction.set_properties(
            {
                "healthlake.ledger": f"{table.location()}/metadata/ledger-2.parquet",
                "healthlake.other-ledger": str(plain_path_ledger),
            }
        )
    rows = _rows(catalog)

    done = maintain_table(catalog, PATIENTS, orphan_age=timedelta(0))
    assert done.orphans_deleted == 2
    assert "deleted 2 orphan file(s)" in done.describe()
    assert current_ledger.exists() and plain_path_ledger.exists()
    assert not old_ledger.exists() and not stray.exists()
    assert _rows(catalog) == rows


def test_negative_orphan_age_is_refused(warehouse: Path) -> None:
    done = python_module("iceberg", "maintain", "--orphan-age-minutes", "-1")
    assert done.returncode == 2
    assert done.stderr.startswith("error: --orphan-age-minutes must be 0 or more")


def test_replaced_ledgers_are_deleted_and_the_current_one_kept(
    catalog: Catalog, tmp_path: Path
) -> None:
    """The real loaded-files ledger: each load writes a new one; maintenance deletes the older
    ones, and the next load still finds every file it recorded (and skips them)."""
    sources = []
    for number in range(3):
        source = tmp_path / f"p{number}.ndjson"
        source.write_text(f'{{"resourceType":"Patient","id":"p{number}"}}\n')
        load_fhir(catalog, [source], f"run-{number}")
        sources.append(source)
    table = catalog.load_table(PATIENTS)
    metadata = Path(table.location().removeprefix("file://")) / "metadata"
    ledgers = sorted(metadata.glob("healthlake-loaded-files-*.parquet"))
    assert len(ledgers) == 3
    current = table.properties[LEDGER_LOCATION_PROPERTY].removeprefix("file://")

    maintain_namespace(catalog, orphan_age=timedelta(0))
    assert [str(p) for p in metadata.glob("healthlake-loaded-files-*.parquet")] == [current]
    report = load_fhir(catalog, sources, "run-again")
    assert len(report.skipped) == 3
    assert sorted(row[1] for row in _rows(catalog)) == ["p0", "p1", "p2"]
