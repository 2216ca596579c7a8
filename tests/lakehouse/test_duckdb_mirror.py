"""The DuckDB mirror of bronze: views over the snapshot's Parquet files where DuckDB can read
them, copies where it cannot, what did not change left alone, never half a table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog

from generators.config import GeneratorConfig
from generators.output import generate
from iceberg.exceptions import TableNotLoadedError
from iceberg.loaders import load_fhir, load_generated
from lakehouse.duckdb_mirror import MIRROR_MEMORY_LIMIT, memory_limited, mirror_namespace


def test_mirror_points_views_then_skips_unchanged(
    catalog: Catalog, generated: Path, tmp_path: Path
) -> None:
    load_generated(catalog, generated, "run-1")
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        first = {m.table: m for m in mirror_namespace(catalog, conn)}
        assert first["bronze.fhir_patient"].stored == "view"
        assert first["bronze.fhir_patient"].rows == 300
        second = mirror_namespace(catalog, conn)
        assert {m.stored for m in second} == {"unchanged"} and not any(m.changed for m in second)
        count = conn.execute("select count(*) from bronze.omop_person").fetchall()[0][0]
        assert count == 300
        # Nothing of bronze is stored in the file: every bronze table is a view.
        kinds = conn.execute(
            "select distinct table_type from information_schema.tables "
            "where table_schema = 'bronze'"
        ).fetchall()
        assert kinds == [("VIEW",)]


def test_a_view_reads_what_a_copy_holds(catalog: Catalog, generated: Path, tmp_path: Path) -> None:
    load_generated(catalog, generated, "run-1")
    table = catalog.load_table(("bronze", "fhir_observation"))
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        mirror_namespace(catalog, conn)
        conn.register("copied", table.scan().to_arrow())
        view_types = conn.execute("describe bronze.fhir_observation").fetchall()
        copy_types = conn.execute("describe copied").fetchall()
        assert [row[:2] for row in view_types] == [row[:2] for row in copy_types]
        differ = conn.execute(
            "select count(*) from ((from bronze.fhir_observation except all from copied) "
            "union all (from copied except all from bronze.fhir_observation))"
        ).fetchall()
        assert differ == [(0,)]


def test_a_table_whose_schema_changed_is_copied(catalog: Catalog, tmp_path: Path) -> None:
    from pyiceberg.types import StringType

    load_fhir(catalog, [_ndjson(tmp_path / "a.ndjson", "a1", "a2")], "run-a")
    table = catalog.load_table(("bronze", "fhir_patient"))
    with table.update_schema() as update:
        update.add_column("note", StringType())
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        mirrored = {m.table: m for m in mirror_namespace(catalog, conn)}
        assert mirrored["bronze.fhir_patient"].stored == "table"
        assert conn.execute("select count(*) from bronze.fhir_patient").fetchall() == [(2,)]


def _mirror_then_load_another_population(
    catalog: Catalog, generated: Path, conn: duckdb.DuckDBPyConnection
) -> None:
    """Load and mirror run-1, then load run-2 (50 other patients) into bronze, not mirrored yet."""
    load_generated(catalog, generated, "run-1")
    mirror_namespace(catalog, conn)
    generate(GeneratorConfig(patients=50, seed=1), generated)
    load_generated(catalog, generated, "run-2")


def test_mirror_recopies_a_table_whose_snapshot_moved(
    catalog: Catalog, generated: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        _mirror_then_load_another_population(catalog, generated, conn)
        copied = {m.table for m in mirror_namespace(catalog, conn) if m.changed}
        # Tables whose files changed are brought up to date; location and care_site do not
        # depend on the seed, so their load was skipped and their snapshot did not move.
        assert {"bronze.fhir_patient", "bronze.omop_person"} <= copied
        assert not copied & {"bronze.omop_location", "bronze.omop_care_site"}
        count = conn.execute("select count(*) from bronze.fhir_patient").fetchall()[0][0]
        assert count == 50


def test_failed_copy_keeps_the_previous_copy(
    catalog: Catalog, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Copied, not viewed (as a table on S3 or with delete files would be).
    monkeypatch.setattr("lakehouse.duckdb_mirror.readable_parquet_files", lambda *args: None)
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        _mirror_then_load_another_population(catalog, generated, conn)

        def broken_reader(scan: object) -> pa.RecordBatchReader:
            def batches():  # type: ignore[no-untyped-def]
                yield pa.record_batch({"x": [1]})
                raise OSError("disk went away")

            return pa.RecordBatchReader.from_batches(pa.schema({"x": pa.int64()}), batches())

        monkeypatch.setattr("lakehouse.duckdb_mirror.scan_reader", broken_reader)
        with pytest.raises(Exception, match="disk went away"):
            mirror_namespace(catalog, conn)
        count = conn.execute("select count(*) from bronze.fhir_patient").fetchall()[0][0]
        assert count == 300


def test_empty_namespace_says_to_load(catalog: Catalog, tmp_path: Path) -> None:
    with (
        duckdb.connect(str(tmp_path / "lake.duckdb")) as conn,
        pytest.raises(TableNotLoadedError, match="run 'just load'"),
    ):
        mirror_namespace(catalog, conn)


def _ndjson(path: Path, *ids: str) -> Path:
    path.write_text("".join(f'{{"resourceType":"Patient","id":"{i}"}}\n' for i in ids))
    return path


def test_mirror_pinned_to_a_run_then_unpinned(catalog: Catalog, tmp_path: Path) -> None:
    load_fhir(catalog, [_ndjson(tmp_path / "a.ndjson", "a1")], "run-a")
    load_fhir(catalog, [_ndjson(tmp_path / "b.ndjson", "b1")], "run-b")
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        mirror_namespace(catalog, conn, as_of_run="run-a")
        assert conn.execute("select resource_id from bronze.fhir_patient").fetchall() == [("a1",)]
        again = mirror_namespace(catalog, conn, as_of_run="run-a")
        assert not any(m.changed for m in again)
        assert all(m.changed for m in mirror_namespace(catalog, conn))
        assert conn.execute("select count(*) from bronze.fhir_patient").fetchall() == [(2,)]


def test_mirror_limits_duckdb_memory_only_while_copying(catalog: Catalog, tmp_path: Path) -> None:
    source = tmp_path / "p.ndjson"
    source.write_text('{"resourceType":"Patient","id":"a"}\n', encoding="utf-8")
    load_fhir(catalog, [source], "run-1")
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        default = _memory_limit(conn)
        with memory_limited(conn, MIRROR_MEMORY_LIMIT):
            assert _memory_limit(conn) == "256.0 MiB"
        assert _memory_limit(conn) == default
        mirror_namespace(catalog, conn)
        assert _memory_limit(conn) == default
        # A limit the caller set (dbt's profile, say) is set again; a lower one is kept.
        conn.execute("set memory_limit = '3GiB'")
        with memory_limited(conn, MIRROR_MEMORY_LIMIT):
            assert _memory_limit(conn) == "256.0 MiB"
        assert _memory_limit(conn) == "3.0 GiB"
        conn.execute("set memory_limit = '100MiB'")
        with memory_limited(conn, MIRROR_MEMORY_LIMIT):
            assert _memory_limit(conn) == "100.0 MiB"
        assert _memory_limit(conn) == "100.0 MiB"
    # An in-memory database has nowhere to spill a copy to: left as it is.
    with duckdb.connect() as conn:
        default = _memory_limit(conn)
        with memory_limited(conn, MIRROR_MEMORY_LIMIT):
            assert _memory_limit(conn) == default


def _memory_limit(conn: duckdb.DuckDBPyConnection) -> str:
    value: str = conn.execute("select current_setting('memory_limit')").fetchall()[0][0]
    return value
