"""cdk-nag's HIPAA Security pack, and acknowledgments that each carry their own reason.

cdk-nag 3 reports through CDK's policy validation (`Validations.of(app).add_plugins`): synthesis
fails on any unacknowledged error. An acknowledgment (`Validations.of(construct).acknowledge`)
replaces cdk-nag 2's `NagSuppressions`; `acknowledge` below refuses one without a specific
reason. Acknowledgments are also written to each resource's template metadata
(`cdk_nag.rules_to_suppress`), where an auditor (and tests/infra) can read them.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import HIPAASecurityChecks
from constructs import IConstruct

RULE_PREFIX = "HIPAA.Security-"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one cdk-nag finding on `construct` (and its children) for a stated reason.

    Args:
        construct: the construct the finding is on.
        rule: the rule id, `HIPAA.Security-<Rule>` or with a finding, `...-<Rule>[<finding>]`.
        reason: why the finding is accepted here; specific, never empty.
    """
    if not rule.startswith(RULE_PREFIX):
        raise ValueError(f"cdk-nag rule {rule!r} is not in the HIPAA Security pack")
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule} needs a specific reason, got {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def add_hipaa_checks(app: App) -> None:
    """Check every stack of `app` against the HIPAA Security pack when it is synthesized."""
    Validations.of(app).add_plugins(
        HIPAASecurityChecks(app, write_suppressions_to_cloud_formation=True)
    )
