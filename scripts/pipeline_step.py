"""One step of the AWS pipeline, as the container image (infra/docker/Dockerfile) runs it.

    python -m scripts.pipeline_step generate PATIENTS SEED
    python -m scripts.pipeline_step load
    python -m scripts.pipeline_step build
    python -m scripts.pipeline_step evidence PATIENTS SEED

Each step is its own Fargate task with its own disk, so files pass between steps through the data
lake bucket: `generate` stages its dataset under staging/generated/<run id>/ and `load` fetches it;
`build` leaves dbt's run_results.json and manifest.json under evidence/<run id>/dbt/ (also when
the build fails), and `evidence` writes evidence/<run id>/run.json, the record of the run.

Reads PIPELINE_RUN_ID (the Step Functions execution name), HEALTHLAKE_S3_BUCKET, HEALTHLAKE_STAGE
and the settings profiles/ reads for the glue catalog and the athena target.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.cli import OneLineParser
from common.errors import HealthlakeError
from common.paths import DBT_PROJECT_DIR, PROFILES_DIR, REPO_ROOT
from healthlake_infra import layout

WORK = Path(os.environ.get("HEALTHLAKE_STEP_WORKDIR", "/tmp/healthlake"))
DBT_ARTIFACTS = ("run_results.json", "manifest.json")


class StepError(HealthlakeError):
    """A step cannot run: a missing setting or a missing input from an earlier step."""

    # The task fails, and Step Functions retries it once, then alerts.
    exit_code = 1


def setting(name: str) -> str:
    """An environment variable the step needs; a one-line error names it when it is missing."""
    value = os.environ.get(name, "")
    if not value:
        raise StepError(f"{name} is not set: the pipeline's task definition sets it")
    return value


def staging_prefix(run_id: str) -> str:
    """Where `generate` leaves its dataset for `load`."""
    return f"{layout.STAGING_PREFIX}/generated/{run_id}"


def evidence_prefix(run_id: str) -> str:
    """Where a run's evidence lives."""
    return f"{layout.EVIDENCE_PREFIX}/{run_id}"


def upload_dir(s3: Any, bucket: str, folder: Path, prefix: str) -> int:
    """Upload every file under `folder` to `prefix/<relative path>`; returns the file count."""
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    for path in files:
        s3.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")
    return len(files)


def download_prefix(s3: Any, bucket: str, prefix: str, folder: Path) -> int:
    """Download every object under `prefix/` into `folder`; returns the file count."""
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for item in page.get("Contents", []):
            target = folder / item["Key"][len(prefix) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
            count += 1
    return count


def run(args: list[str], cwd: Path = REPO_ROOT) -> int:
    """Run a command of the project, its output going to the container's log."""
    print("+ " + " ".join(args), flush=True)
    return subprocess.run(args, cwd=cwd, check=False).returncode


def generate(s3: Any, bucket: str, run_id: str, patients: str, seed: str) -> int:
    out = WORK / "generated"
    code = run([sys.executable, "-m", "generators", "generate", patients, seed, "--out", str(out)])
    if code:
        return code
    count = upload_dir(s3, bucket, out, staging_prefix(run_id))
    print(f"staged {count} files at s3://{bucket}/{staging_prefix(run_id)}/", flush=True)
    return 0


def load(s3: Any, bucket: str, run_id: str) -> int:
    source = WORK / "generated"
    if not download_prefix(s3, bucket, staging_prefix(run_id), source):
        raise StepError(
            f"nothing staged at s3://{bucket}/{staging_prefix(run_id)}/: the generate step of "
            f"run {run_id} did not finish"
        )
    return run(
        [sys.executable, "-m", "iceberg", "load", "--from", str(source), "--catalog", "glue"]
    )


def build(s3: Any, bucket: str, run_id: str) -> int:
    target = WORK / "dbt" / "target"
    os.environ["DBT_TARGET_PATH"] = str(target)
    os.environ["DBT_LOG_PATH"] = str(WORK / "dbt" / "logs")
    dbt = str(Path(sys.executable).with_name("dbt"))
    code = run(
        [dbt, "build", "--target", "athena", "--profiles-dir", str(PROFILES_DIR)],
        cwd=DBT_PROJECT_DIR,
    )
    # The artifacts are the evidence of a failed build as much as of a good one.
    for name in DBT_ARTIFACTS:
        if (target / name).exists():
            s3.upload_file(str(target / name), bucket, f"{evidence_prefix(run_id)}/dbt/{name}")
    return code


def run_record(
    s3: Any, bucket: str, run_id: str, stage: str, patients: str, seed: str
) -> dict[str, Any]:
    """The run's record: its inputs, the evidence objects and dbt's result counts."""
    prefix = evidence_prefix(run_id)
    artifacts = []
    for name in DBT_ARTIFACTS:
        key = f"{prefix}/dbt/{name}"
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except s3.exceptions.ClientError as error:
            raise StepError(
                f"s3://{bucket}/{key} is missing: the build step of run {run_id} did not finish"
            ) from error
        artifacts.append({"key": key, "bytes": head["ContentLength"], "etag": head["ETag"]})
    results = json.loads(
        s3.get_object(Bucket=bucket, Key=f"{prefix}/dbt/run_results.json")["Body"].read()
    )
    statuses: dict[str, int] = {}
    for result in results.get("results", []):
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    return {
        "pipeline_run_id": run_id,
        "stage": stage,
        "patients": int(patients),
        "seed": int(seed),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dbt_version": results.get("metadata", {}).get("dbt_version"),
        "dbt_elapsed_seconds": results.get("elapsed_time"),
        "dbt_results": dict(sorted(statuses.items())),
        "artifacts": artifacts,
    }


def evidence(s3: Any, bucket: str, run_id: str, stage: str, patients: str, seed: str) -> int:
    record = run_record(s3, bucket, run_id, stage, patients, seed)
    key = f"{evidence_prefix(run_id)}/run.json"
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(record, indent=2).encode(),
        ContentType="application/json",
    )
    print(f"evidence: s3://{bucket}/{key} {json.dumps(record['dbt_results'])}", flush=True)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m scripts.pipeline_step")
    steps = parser.add_subparsers(dest="step", required=True)
    for name in ("generate", "evidence"):
        sub = steps.add_parser(name)
        sub.add_argument("patients")
        sub.add_argument("seed")
    steps.add_parser("load")
    steps.add_parser("build")
    return parser


def main(argv: list[str] | None = None, s3: Any = None) -> int:
    args = _parser().parse_args(argv)
    try:
        run_id = setting("PIPELINE_RUN_ID")
        bucket = setting("HEALTHLAKE_S3_BUCKET")
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        if args.step == "generate":
            return generate(s3, bucket, run_id, args.patients, args.seed)
        if args.step == "load":
            return load(s3, bucket, run_id)
        if args.step == "build":
            return build(s3, bucket, run_id)
        stage = os.environ.get("HEALTHLAKE_STAGE", "unknown")
        return evidence(s3, bucket, run_id, stage, args.patients, args.seed)
    except StepError as error:
        print(f"error: {args.step}: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
