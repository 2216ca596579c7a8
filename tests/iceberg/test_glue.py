"""The cloud path: the same loaders write the same bronze tables to Glue + S3 (a moto server)."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest

from generators.manifest import read_manifest
from iceberg.catalog import load_catalog
from iceberg.loaders import LEDGER_LOCATION_PROPERTY, load_generated, table_ledger
from tests.conftest import python_module

BUCKET = "healthlake-test-lake"


@pytest.fixture
def moto_glue(moto_server: str, monkeypatch: pytest.MonkeyPatch, warehouse: Path) -> str:
    """A moto server (S3, Glue, STS) on 127.0.0.1, and the environment the glue catalog reads."""
    for key, value in {
        "HEALTHLAKE_S3_BUCKET": BUCKET,
        "HEALTHLAKE_GLUE_ENDPOINT": moto_server,
        "HEALTHLAKE_S3_ENDPOINT": moto_server,
    }.items():
        monkeypatch.setenv(key, value)
    boto3.client("s3", endpoint_url=moto_server).create_bucket(Bucket=BUCKET)
    identity = boto3.client("sts", endpoint_url=moto_server).get_caller_identity()
    assert identity["Account"]
    return moto_server


def test_glue_catalog_gets_the_same_tables_as_local(moto_glue: str, generated: Path) -> None:
    # The command a user runs: `just load --catalog glue`.
    done = python_module("iceberg", "load", "--from", str(generated), "--catalog", "glue")
    assert done.returncode == 0, done.stderr
    assert "bronze.fhir_patient: 300 rows" in done.stdout
    glue = load_catalog("glue")
    local = load_catalog("local", create=True)
    load_generated(local, generated, "run-local")
    for name in ("fhir_patient", "omop_person"):
        in_glue = glue.load_table(f"bronze.{name}")
        in_local = local.load_table(f"bronze.{name}")
        assert in_glue.schema() == in_local.schema()
        assert in_glue.spec() == in_local.spec()
        assert in_glue.location().startswith(f"s3://{BUCKET}/iceberg/")
        assert in_glue.scan().to_arrow().num_rows == 300
        # The ledger of loaded files is a Parquet object beside the table's metadata in S3.
        ledger = in_glue.properties[LEDGER_LOCATION_PROPERTY]
        assert ledger.startswith(f"{in_glue.location()}/metadata/")
        key = ledger.removeprefix(f"s3://{BUCKET}/")
        assert boto3.client("s3", endpoint_url=moto_glue).head_object(Bucket=BUCKET, Key=key)
        assert table_ledger(in_glue).keys() == table_ledger(in_local).keys()
    tables = boto3.client("glue", endpoint_url=moto_glue).get_tables(DatabaseName="bronze")
    expected = {
        entry["table"] if entry["format"] == "omop-parquet" else entry["resource_type"]
        for entry in read_manifest(generated)["files"]
    }
    in_glue = {t["Name"] for t in tables["TableList"]}
    assert len(in_glue) == len(expected)
    assert {"fhir_patient", "omop_person", "fhir_observation", "omop_measurement"} <= in_glue
    again = python_module("iceberg", "load", "--from", str(generated), "--catalog", "glue")
    assert again.returncode == 0 and "unchanged since run" in again.stdout


def test_ingest_fhir_to_glue_quarantines_the_same_way(moto_glue: str, tmp_path: Path) -> None:
    path = tmp_path / "export.ndjson"
    path.write_text(
        '{"resourceType":"Encounter","id":"e1","subject":{"reference":"Patient/1"}}\nx\n'
    )
    done = python_module("iceberg", "ingest-fhir", str(path), "--catalog", "glue")
    assert done.returncode == 0, done.stderr
    glue = load_catalog("glue")
    assert glue.load_table("bronze.fhir_encounter").scan().to_arrow().num_rows == 1
    assert glue.load_table("bronze.quarantine").scan().to_arrow().num_rows == 1
    assert os.environ["HEALTHLAKE_S3_BUCKET"] == BUCKET


def test_maintain_deletes_orphan_objects_in_s3(moto_glue: str, tmp_path: Path) -> None:
    path = tmp_path / "export.ndjson"
    path.write_text('{"resourceType":"Patient","id":"p1"}\n')
    assert python_module("iceberg", "ingest-fhir", str(path), "--catalog", "glue").returncode == 0
    location = load_catalog("glue").load_table("bronze.fhir_patient").location()
    prefix = location.removeprefix(f"s3://{BUCKET}/").rstrip("/") + "/"
    s3 = boto3.client("s3", endpoint_url=moto_glue)

    def objects() -> set[str]:
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
        # pyarrow's S3 delete leaves empty `folder/` markers behind (as every FileIO delete does,
        # expiry's included): not files, and harmless.
        return {entry["Key"] for entry in listed if not entry["Key"].endswith("/")}

    referenced = objects()
    strays = {f"{prefix}data/killed-load.parquet", f"{prefix}metadata/old-ledger.parquet"}
    for key in strays:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"unreferenced")
    done = python_module("iceberg", "maintain", "--catalog", "glue", "--orphan-age-minutes", "0")
    assert done.returncode == 0, done.stderr
    assert "bronze.fhir_patient: 1 data file(s), no compaction needed" in done.stdout
    assert "deleted 2 orphan file(s)" in done.stdout
    assert objects() == referenced
    assert load_catalog("glue").load_table("bronze.fhir_patient").scan().to_arrow().num_rows == 1
