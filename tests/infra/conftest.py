"""Synthesize the stack once for the whole infra suite (jsii starts a Node process: seconds).

Synthesis needs no AWS account: the stack is environment-agnostic and makes no lookups. The app
carries cdk-nag's HIPAA Security checks, so synthesis itself fails on an unacknowledged finding.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

INFRA = REPO_ROOT / "infra"
# Node 20 is end-of-life for jsii: without these, every process prints a boxed warning.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def cdk_context() -> dict[str, Any]:
    """The context `cdk synth` runs with (feature flags and the default stage), from cdk.json."""
    return dict(json.loads((INFRA / "cdk.json").read_text())["context"])


class Synthesized:
    """The stack, its template as JSON, and the cloud assembly folder."""

    def __init__(self, outdir: Path) -> None:
        import aws_cdk as cdk
        from aws_cdk.assertions import Template

        from healthlake_infra.stack import stage_stack

        self.app = cdk.App(context=cdk_context(), outdir=str(outdir))
        self.stack = stage_stack(self.app)
        self.assembly = Path(self.app.synth().directory)
        self.template = Template.from_stack(self.stack)
        self.json: dict[str, Any] = self.template.to_json()

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for every resource of a type."""
        return {
            logical_id: resource
            for logical_id, resource in self.json["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only(self, resource_type: str, logical_id_prefix: str) -> dict[str, Any]:
        """The one resource of a type whose logical id starts with a prefix."""
        found = [
            resource
            for logical_id, resource in self.resources(resource_type).items()
            if logical_id.startswith(logical_id_prefix)
        ]
        assert len(found) == 1, f"{len(found)} {resource_type} named {logical_id_prefix}*"
        return found[0]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield Synthesized(tmp_path_factory.mktemp("cdk.out"))
