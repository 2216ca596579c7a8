"""The DuckDB lakehouse file: a lock held by another process is reported, not waited on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from lakehouse.database import check_unlocked, summary
from lakehouse.exceptions import LakehouseLockedError
from tests.conftest import duckdb_file

HOLD_LOCK = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


def test_lock_held_by_another_process_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "lakehouse.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LakehouseLockedError, match=rf"process {holder.pid}\); close"):
            check_unlocked(path)
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 10
    while True:
        try:
            check_unlocked(path)
            break
        except LakehouseLockedError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_missing_file_is_not_locked(tmp_path: Path) -> None:
    check_unlocked(tmp_path / "absent.duckdb")


def test_summary_lists_schemas_tables_and_counts(tmp_path: Path) -> None:
    path = duckdb_file(
        tmp_path / "lakehouse.duckdb",
        "create schema omop",
        "create table omop.person as select range as person_id from range(1234)",
        "create table main.ignored as select 1 as x",
    )
    text = summary(path, elapsed_seconds=3.21)
    assert "omop.person" in text and "1,234" in text
    assert "ignored" not in text
    assert text.endswith("done in 3.2 s")


def test_summary_totals_staging_schemas_and_lists_them_only_when_full(tmp_path: Path) -> None:
    path = duckdb_file(
        tmp_path / "lakehouse.duckdb",
        "create schema silver",
        "create table silver.stg_a as select range as x from range(10)",
        "create table silver.stg_b as select range as x from range(5)",
    )
    short = summary(path)
    assert "silver: 2 tables, 15 rows" in short
    assert "silver.stg_a" not in short
    assert "silver.stg_a" in summary(path, full=True)


def test_summary_says_what_was_set_aside_and_not_modelled(tmp_path: Path) -> None:
    path = duckdb_file(
        tmp_path / "lakehouse.duckdb",
        "create schema ops",
        "create table ops.fhir_set_aside as select * from (values "
        "('Patient.birthDate', 'not a FHIR date'), ('Patient.birthDate', 'not a FHIR date'), "
        "('Patient.gender', 'a JSON array, not a string')) as t (element, reason)",
        "create table ops.fhir_resource_coverage as select * from (values "
        "('Patient', 10, true, 'fhir_view_patient_demographics'), "
        "('Immunization', 4, false, 'fhir_view_immunizations'), "
        "('Claim', 7, false, 'fhir_view_claims'), ('Basic', 3, false, null), "
        "('Task', 3, false, null)) as t (resource_type, resources, is_modelled, silver_views)",
    )
    lines = summary(path).splitlines()
    assert "  set aside: 3 values (ops.fhir_set_aside), the rest was built:" in lines
    assert "            2  Patient.birthDate: not a FHIR date" in lines
    assert lines[-2:] == [
        "  not in the CDM, flattened by SQL-on-FHIR views (silver.fhir_view_*): "
        "Claim 7, Immunization 4",
        "  not modelled (kept in bronze, counted in ops.fhir_resource_coverage): Basic 3, Task 3",
    ]


def test_a_lakehouse_built_before_the_views_lists_every_unmodelled_type(tmp_path: Path) -> None:
    path = duckdb_file(
        tmp_path / "lakehouse.duckdb",
        "create schema ops",
        "create table ops.fhir_resource_coverage as select * from (values "
        "('Patient', 10, true), ('Claim', 7, false)) as t (resource_type, resources, is_modelled)",
    )
    assert summary(path).splitlines()[-1] == (
        "  not modelled (kept in bronze, counted in ops.fhir_resource_coverage): Claim 7"
    )


def test_summary_of_a_clean_build_has_no_set_aside_lines(tmp_path: Path) -> None:
    path = duckdb_file(
        tmp_path / "lakehouse.duckdb",
        "create schema ops",
        "create table ops.fhir_set_aside (element varchar, reason varchar)",
    )
    assert "set aside" not in summary(path)
