"""cdk-nag's HIPAA Security pack passes, and every acknowledged finding says why."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from healthlake_infra.nag import acknowledge, add_hipaa_checks
from tests.infra.conftest import Synthesized

# Each acknowledgment is a decision: a new one must be added here on purpose.
ACKNOWLEDGED_RULES = {
    "HIPAA.Security-S3BucketReplicationEnabled",
    "HIPAA.Security-S3BucketLoggingEnabled",
    "HIPAA.Security-S3DefaultEncryptionKMS",
    "HIPAA.Security-VPCDefaultSecurityGroupClosed",
    "HIPAA.Security-IAMNoInlinePolicy",
}


def test_stack_passes_the_hipaa_pack(synthesized: Synthesized) -> None:
    # Synthesis raises on any unacknowledged error; a report, if written, holds no error.
    report = synthesized.assembly / "validation-report.json"
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            errors = [v for v in plugin["violations"] if v["severity"] == "error"]
            assert not errors, plugin["pluginName"]


def test_every_acknowledgment_carries_its_reason(synthesized: Synthesized) -> None:
    acknowledged: dict[str, set[str]] = {}
    for resource in synthesized.json["Resources"].values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            if rule["id"].startswith("HIPAA.Security-"):
                acknowledged.setdefault(rule["id"], set()).add(rule["reason"])
    assert set(acknowledged) == ACKNOWLEDGED_RULES
    for rule, reasons in acknowledged.items():
        assert len(reasons) == 1, rule
        assert all(len(reason) > 60 for reason in reasons), rule


def test_the_pack_fails_synthesis_on_a_finding(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Bare")
    s3.Bucket(stack, "Plain")
    add_hipaa_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        app.synth()
    assert "HIPAA.Security-S3BucketVersioningEnabled" in str(failure.value)


def test_acknowledging_needs_a_specific_reason() -> None:
    stack = cdk.Stack(cdk.App(), "Reasons")
    with pytest.raises(ValueError, match="specific reason"):
        acknowledge(stack, "HIPAA.Security-S3BucketLoggingEnabled", "ok")
    with pytest.raises(ValueError, match="not in the HIPAA Security pack"):
        acknowledge(stack, "AwsSolutions-S1", "a reason long enough to pass the length check")
