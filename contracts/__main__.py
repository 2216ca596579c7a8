"""Command line of the data contracts (contracts/*.odcs.yaml).

python -m contracts check                   # validate every contract and the policies
python -m contracts diff OLD NEW            # what changed between two contract files
python -m contracts diff --against REV NEW  # ... between NEW and its version at git revision REV
python -m contracts lakeformation [--check] # write (check) the LF-tag config of the model yml
python -m contracts publish [ROLE ...]      # warehouse/published/<role>.duckdb (every role if none)
python -m contracts access ROLE             # what a role can read: tables, columns, masks, rows

`check` prints one line per contract and one for contracts/policies.yml (ok, or what is wrong)
and exits 1 if any fails; it compares the contracts with the dbt model yml and the policies
with the contracts. `diff`
prints each change and whether it breaks consumers; a breaking change without a major version
bump is an error (exit 2). `publish` writes each role's file with only what the role may see;
an unknown role is a one-line error (exit 2) and nothing is published. `lakeformation` writes
the Lake Formation config (dbt-athena's `lf_tags_config`, `lf_grants`) of each product model
from the contracts and policies; with --check it writes nothing and exits 1 if a yml differs.
docs/governance.md says more.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from common.cli import OneLineParser, path_argument, print_error
from common.errors import HealthlakeError
from common.paths import REPO_ROOT
from contracts.access import describe, role_access
from contracts.diff import diff, needs_major_bump
from contracts.drift import MODELS_DIR, drift
from contracts.exceptions import BreakingChangeError, ContractError
from contracts.lakeformation import yml_updates
from contracts.model import Contract, contract_paths, load, parse, shown
from contracts.policies import POLICIES_PATH, check_against_contracts, load_policies
from contracts.publish import publish


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m contracts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate every contract and the policies")
    check.add_argument("paths", nargs="*", type=path_argument, help="contracts (default: all)")
    check.add_argument(
        "--models", type=path_argument, default=MODELS_DIR, help="the dbt models folder"
    )
    check.add_argument(
        "--policies", type=path_argument, default=POLICIES_PATH, help="the policies file"
    )
    changes = commands.add_parser("diff", help="what changed between two versions of a contract")
    changes.add_argument("--against", metavar="REV", help="the old version: NEW at git REV")
    changes.add_argument("files", nargs="+", type=path_argument, help="OLD NEW, or NEW with REV")
    tags = commands.add_parser(
        "lakeformation", help="write the LF-tag config of the product model yml files"
    )
    tags.add_argument("--check", action="store_true", help="write nothing; exit 1 on a difference")
    tags.add_argument(
        "--models", type=path_argument, default=MODELS_DIR, help="the dbt models folder"
    )
    tags.add_argument(
        "--policies", type=path_argument, default=POLICIES_PATH, help="the policies file"
    )
    publishing = commands.add_parser(
        "publish", help="write warehouse/published/<role>.duckdb: only what the role may see"
    )
    publishing.add_argument(
        "roles", nargs="*", help="roles of contracts/policies.yml (default: all)"
    )
    publishing.add_argument(
        "--policies", type=path_argument, default=POLICIES_PATH, help="the policies file"
    )
    reading = commands.add_parser("access", help="what a role can read: tables, columns, masks")
    reading.add_argument("role", help="a role of contracts/policies.yml")
    reading.add_argument(
        "--policies", type=path_argument, default=POLICIES_PATH, help="the policies file"
    )
    return parser


def lakeformation(models_dir: Path, policies_path: Path, *, check_only: bool) -> int:
    """Write (or with check_only, compare) the Lake Formation config of the product models."""
    contracts = [load(path) for path in contract_paths()]
    policies = load_policies(policies_path)
    check_against_contracts(policies, contracts)
    updates = yml_updates(contracts, policies, models_dir)
    for update in updates:
        where = shown(update.path)
        if check_only:
            print(f"{where}: Lake Formation config differs from the contracts")
        else:
            update.path.write_text(update.text, encoding="utf-8")
            print(f"{where}: Lake Formation config written")
    if check_only and updates:
        print("run 'just contracts lakeformation' to write it")
        return 1
    if not updates:
        print("Lake Formation config of every product model matches the contracts")
    return 0


def show_publish(roles: list[str], policies_path: Path) -> int:
    """Publish the roles; one line per role file."""
    for published in publish(roles, policies_path):
        rows = sum(table.rows for table in published.tables)
        masked = sum(table.masked for table in published.tables)
        print(
            f"published {shown(published.path)}: {len(published.tables)} tables, {rows:,} rows, "
            f"{masked} masked columns (role {published.role})"
        )
    return 0


def show_access(role_name: str, policies_path: Path) -> int:
    """Print what a role can read."""
    policies = load_policies(policies_path)
    role = policies.role(role_name)
    contracts = [load(path) for path in contract_paths()]
    check_against_contracts(policies, contracts)
    print(describe(role, role_access(role, contracts)))
    return 0


def check(paths: list[Path], models_dir: Path, policies_path: Path = POLICIES_PATH) -> int:
    """Validate each contract, then compare all with the model yml; one line per contract, and
    one for the policies, checked against every contract."""
    valid: list[Contract] = []
    failed = 0
    for path in paths:
        try:
            valid.append(load(path))
        except ContractError as error:
            print(error)
            failed += 1
    problems = drift(valid, models_dir)
    for contract in valid:
        own = [p for p in problems if p.startswith(f"{contract.path.name}:")]
        if own:
            failed += 1
            print(
                f"{contract.path.name}: drift from dbt: {own[0]}"
                + (f" (and {len(own) - 1} more)" if len(own) > 1 else "")
            )
        else:
            print(f"{contract.path.name}: ok ({contract.version}, {len(contract.tables)} tables)")
    if len(paths) == len(contract_paths()):
        for problem in problems:
            if problem.startswith("model "):
                failed += 1
                print(problem)
    try:
        policies = load_policies(policies_path)
        check_against_contracts(policies, valid)
        roles = ", ".join(policies.roles)
        print(f"{policies_path.name}: ok ({len(policies.roles)} roles: {roles})")
    except ContractError as error:
        print(error)
        failed += 1
    return 1 if failed else 0


def _at_revision(revision: str, path: Path) -> Contract:
    relative = path.resolve().relative_to(REPO_ROOT)
    result = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{revision}:{relative.as_posix()}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = " ".join(result.stderr.split()) or "git show failed"
        raise ContractError(f"{relative} at {revision}: cannot be read from git ({detail})")
    return parse(Path(f"{relative}@{revision}"), result.stdout)


def show_diff(old: Contract, new: Contract) -> int:
    """Print the changes from old to new; raise BreakingChangeError if they need a bump."""
    changes = diff(old, new)
    print(f"{new.path.name}: {old.version} -> {new.version}")
    for change in changes:
        print(f"  {'BREAKING' if change.breaking else 'ok      '}  {change.text}")
    if not changes:
        print("  no change to tables, columns, types, keys or classifications")
    if needs_major_bump(old, new, changes):
        breaking = sum(c.breaking for c in changes)
        raise BreakingChangeError(
            f"{new.path}: {breaking} breaking change(s) but version {new.version} keeps the "
            f"major version of {old.version}; raise it (e.g. {int(old.version.split('.')[0]) + 1}"
            ".0.0)"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return check(args.paths or contract_paths(), args.models, args.policies)
        if args.command == "lakeformation":
            return lakeformation(args.models, args.policies, check_only=args.check)
        if args.command == "publish":
            return show_publish(args.roles, args.policies)
        if args.command == "access":
            return show_access(args.role, args.policies)
        if args.against:
            if len(args.files) != 1:
                parser.error("diff --against REV takes one contract file")
            return show_diff(_at_revision(args.against, args.files[0]), load(args.files[0]))
        if len(args.files) != 2:
            parser.error("diff takes two contract files: OLD NEW (or --against REV NEW)")
        return show_diff(load(args.files[0]), load(args.files[1]))
    except HealthlakeError as error:
        return print_error(error)


if __name__ == "__main__":
    sys.exit(main())
