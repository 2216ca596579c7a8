"""The policies file (contracts/policies.yml): the real one loads and agrees with the contracts,
its masks resolve as documented, and every kind of broken policy fails in one line naming the
file, the path in it and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.exceptions import PolicyInvalidError, UnknownRoleError
from contracts.model import contract_paths, load
from contracts.policies import (
    POLICIES_PATH,
    Mask,
    check_against_contracts,
    load_policies,
)
from tests.conftest import JUST, run


def _edited(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    document = yaml.safe_load(POLICIES_PATH.read_text())
    edit(document)
    target = tmp_path / "policies.yml"
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return target


def test_the_policies_load_and_agree_with_the_contracts() -> None:
    policies = load_policies()
    assert set(policies.roles) == {"clinician_researcher", "analyst", "regional_analyst"}
    check_against_contracts(policies, [load(path) for path in contract_paths()])
    assert policies.roles["clinician_researcher"].is_unrestricted
    assert policies.hash_salt_env == "HEALTHLAKE_MASKING_SALT"


def test_a_mask_is_found_by_table_and_column_then_column_then_classification() -> None:
    analyst = load_policies().role("analyst")
    assert analyst.mask_for("dim_patient", "birth_date", "phi") is Mask.YEAR
    assert analyst.mask_for("person", "person_id", "phi") is Mask.HASH
    assert analyst.mask_for("dim_patient", "given_name", "phi") is Mask.REDACT
    assert analyst.mask_for("provider", "npi", "pii") is Mask.REDACT
    assert analyst.mask_for("location", "address_1", "phi") is Mask.REMOVE
    assert analyst.mask_for("person", "gender_concept_id", "internal") is None


def test_a_role_extends_another_and_keeps_its_own_row_filter() -> None:
    policies = load_policies()
    regional, analyst = policies.role("regional_analyst"), policies.role("analyst")
    assert regional.column_masks == analyst.column_masks
    assert regional.classification_masks == analyst.classification_masks
    assert analyst.row_filter is None
    assert regional.row_filter is not None
    assert regional.row_filter.column("dim_patient") == "address_state"
    assert regional.may_read("dim_patient")
    assert not regional.may_read("person")
    assert analyst.may_read("person")


def test_an_unknown_role_names_the_known_ones() -> None:
    with pytest.raises(UnknownRoleError, match=r"unknown role 'nurse'.*analyst"):
        load_policies().role("nurse")


def _set(path: list[str], value: object) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _drop_role(name: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        regional = document["roles"]["regional_analyst"]
        if name == "analyst":
            regional.pop("extends")
        document["roles"].pop(name)

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set(["owner"], "me"), ["$.owner", "no such field"]),
        (_set(["version"], 2), ["$.version", "1"]),
        (
            _set(["roles", "analyst", "classifications", "phi"], "blur"),
            ["$.roles.analyst.classifications.phi", "'redact'", "got 'blur'"],
        ),
        (
            _set(["roles", "analyst", "classifications", "secret"], "redact"),
            ["$.roles.analyst.classifications.secret", "'phi'"],
        ),
        (
            _set(["roles", "analyst", "columns", "person_id"], "hash"),
            ["$.roles.analyst.columns", "'table.column' or '*.column'", "'person_id'"],
        ),
        (
            _set(["roles", "regional_analyst", "extends"], "nobody"),
            ["$.roles.regional_analyst.extends", "got 'nobody'"],
        ),
        (
            _set(["roles", "analyst", "extends"], "regional_analyst"),
            ["$.roles.", "in a circle"],
        ),
        (
            _set(["roles", "regional_analyst", "row_filter", "values"], []),
            ["$.roles.regional_analyst.row_filter.values", "at least 1"],
        ),
        (
            _set(["roles", "analyst", "columns", "person.favourite_colour"], "redact"),
            ["$.roles.analyst.columns.person.favourite_colour", "no contract has a column"],
        ),
        (
            _set(["roles", "analyst", "columns", "person.birth_datetime"], "hash"),
            ["$.roles.analyst.columns.person.birth_datetime", "hash takes integer or string"],
        ),
        (
            _set(["roles", "analyst", "columns", "person.person_id"], "zip3"),
            ["$.roles.analyst.columns.person.person_id", "zip3 takes string"],
        ),
        (
            _set(["roles", "regional_analyst", "row_filter", "columns", "person"], "state"),
            ["$.roles.regional_analyst.row_filter.columns.person", "person.state"],
        ),
        (_set(["roles", "auditor"], {"description": "x"}), ["$.roles.auditor", "no contract"]),
        (_drop_role("analyst"), ["$.roles", "declares role 'analyst'", "no policy"]),
    ],
    ids=[
        "unknown-field",
        "wrong-version",
        "unknown-mask",
        "unknown-classification",
        "column-key-without-table",
        "unknown-parent",
        "extends-circle",
        "no-filter-values",
        "unknown-column",
        "hash-on-a-date",
        "zip3-on-an-integer",
        "filter-on-missing-column",
        "role-no-contract-declares",
        "contract-role-without-policy",
    ],
)
def test_a_broken_policy_fails_in_one_line(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    broken = _edited(tmp_path, edit)
    with pytest.raises(PolicyInvalidError) as raised:
        check_against_contracts(load_policies(broken), [load(p) for p in contract_paths()])
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{broken}: ")
    for text in expected:
        assert text in message, message
    checked = run([*JUST, "contracts", "check", "--policies", str(broken)])
    assert checked.returncode == 1
    assert checked.stdout.splitlines()[-1] == message


def test_a_policies_file_that_is_not_yaml_or_missing_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "policies.yml"
    bad.write_text("roles: [unclosed\n")
    with pytest.raises(PolicyInvalidError, match=r"policies.yml: \$: not YAML"):
        load_policies(bad)
    with pytest.raises(PolicyInvalidError, match="cannot be read"):
        load_policies(tmp_path / "missing.yml")
