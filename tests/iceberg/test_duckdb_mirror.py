"""The DuckDB mirror of bronze: copies what changed, skips what did not, never half a table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog

from generators.config import GeneratorConfig
from generators.output import generate
from iceberg.duckdb_mirror import mirror_namespace
from iceberg.exceptions import TableNotLoadedError
from iceberg.loaders import load_generated


def test_mirror_copies_then_skips_unchanged(
    catalog: Catalog, generated: Path, tmp_path: Path
) -> None:
    load_generated(catalog, generated, "run-1")
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        first = {m.table: m for m in mirror_namespace(catalog, conn)}
        assert first["bronze.fhir_patient"].copied and first["bronze.fhir_patient"].rows == 300
        second = mirror_namespace(catalog, conn)
        assert not any(m.copied for m in second)
        count = conn.execute("select count(*) from bronze.omop_person").fetchall()[0][0]
        assert count == 300


def test_mirror_recopies_a_table_whose_snapshot_moved(
    catalog: Catalog, generated: Path, tmp_path: Path
) -> None:
    load_generated(catalog, generated, "run-1")
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        mirror_namespace(catalog, conn)
        generate(GeneratorConfig(patients=50, seed=1), generated)
        load_generated(catalog, generated, "run-2")
        copied = {m.table for m in mirror_namespace(catalog, conn) if m.copied}
        # Tables whose files changed are recopied; location and care_site do not depend on the
        # seed, so their load was skipped and their snapshot did not move.
        assert {"bronze.fhir_patient", "bronze.omop_person"} <= copied
        assert not copied & {"bronze.omop_location", "bronze.omop_care_site"}
        count = conn.execute("select count(*) from bronze.fhir_patient").fetchall()[0][0]
        assert count == 50


def test_failed_copy_keeps_the_previous_copy(
    catalog: Catalog, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_generated(catalog, generated, "run-1")
    with duckdb.connect(str(tmp_path / "lake.duckdb")) as conn:
        mirror_namespace(catalog, conn)
        generate(GeneratorConfig(patients=50, seed=1), generated)
        load_generated(catalog, generated, "run-2")

        def broken_reader(scan: object) -> pa.RecordBatchReader:
            def batches():  # type: ignore[no-untyped-def]
                yield pa.record_batch({"x": [1]})
                raise OSError("disk went away")

            return pa.RecordBatchReader.from_batches(pa.schema({"x": pa.int64()}), batches())

        monkeypatch.setattr("iceberg.duckdb_mirror.scan_reader", broken_reader)
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
