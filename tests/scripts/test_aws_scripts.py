"""The pipeline step runner and scripts/cleanup, against moto's in-process AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts import cleanup, pipeline_step
from tests.conftest import REPO_ROOT, run

BUCKET = "lake"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        session.client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield session


def test_generated_files_round_trip_through_staging(aws: Any, tmp_path: Path) -> None:
    s3 = aws.client("s3")
    source = tmp_path / "out"
    (source / "fhir").mkdir(parents=True)
    (source / "fhir" / "Patient.ndjson").write_text('{"id": "1"}\n')
    (source / "manifest.json").write_text("{}")
    prefix = pipeline_step.staging_prefix("run-1")
    assert pipeline_step.upload_dir(s3, BUCKET, source, prefix) == 2
    back = tmp_path / "back"
    assert pipeline_step.download_prefix(s3, BUCKET, prefix, back) == 2
    assert (back / "fhir" / "Patient.ndjson").read_text() == '{"id": "1"}\n'


def test_load_without_staged_files_is_a_one_line_error(
    aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIPELINE_RUN_ID", "run-2")
    monkeypatch.setenv("HEALTHLAKE_S3_BUCKET", BUCKET)
    assert pipeline_step.main(["load"], s3=aws.client("s3")) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "generate step of run run-2 did not finish" in error


def test_evidence_records_the_run(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = aws.client("s3")
    prefix = pipeline_step.evidence_prefix("run-3")
    results = {
        "metadata": {"dbt_version": "1.11.0"},
        "elapsed_time": 12.5,
        "results": [{"status": "success"}, {"status": "pass"}, {"status": "pass"}],
    }
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/dbt/run_results.json", Body=json.dumps(results))
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/dbt/manifest.json", Body=b"{}")
    monkeypatch.setenv("PIPELINE_RUN_ID", "run-3")
    monkeypatch.setenv("HEALTHLAKE_S3_BUCKET", BUCKET)
    monkeypatch.setenv("HEALTHLAKE_STAGE", "dev")
    assert pipeline_step.main(["evidence", "100", "7"], s3=s3) == 0
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/run.json")["Body"].read())
    assert record["pipeline_run_id"] == "run-3"
    assert (record["stage"], record["patients"], record["seed"]) == ("dev", 100, 7)
    assert record["dbt_results"] == {"pass": 2, "success": 1}
    assert [a["key"].rsplit("/", 1)[1] for a in record["artifacts"]] == list(
        pipeline_step.DBT_ARTIFACTS
    )


def test_evidence_without_dbt_artifacts_fails(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_RUN_ID", "run-4")
    monkeypatch.setenv("HEALTHLAKE_S3_BUCKET", BUCKET)
    assert pipeline_step.main(["evidence", "100", "7"], s3=aws.client("s3")) == 1


def test_empty_bucket_deletes_every_version_and_marker(aws: Any) -> None:
    s3 = aws.client("s3")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2", b"3"):
        s3.put_object(Bucket=BUCKET, Key="iceberg/bronze.db/t/data.parquet", Body=body)
    s3.delete_object(Bucket=BUCKET, Key="iceberg/bronze.db/t/data.parquet")
    assert cleanup.empty_bucket(s3, BUCKET, dry_run=True) == 4
    assert len(s3.list_object_versions(Bucket=BUCKET).get("Versions", [])) == 3
    assert cleanup.empty_bucket(s3, BUCKET, dry_run=False) == 4
    listing = s3.list_object_versions(Bucket=BUCKET)
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")


def test_cleanup_of_a_missing_stack_says_so(aws: Any) -> None:
    with pytest.raises(cleanup.CleanupError, match="stack healthlake-nope does not exist"):
        cleanup.cleanup(aws, "nope", dry_run=True)


def test_cleanup_script_needs_a_region() -> None:
    result = run(
        [str(REPO_ROOT / "scripts" / "cleanup"), "dev", "--dry-run"],
        env={"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_CONFIG_FILE": "/nonexistent"},
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "error: AWS_REGION is not set: export the region the stack is in"
    )
