"""`just learn` as a learner runs it: list, show, check, progress, the solution held back."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from exercises.catalog import discover, find
from tests.conftest import JUST, REPO_ROOT, one_line_error, run


@pytest.fixture
def learn_env(tmp_path: Path) -> dict[str, str]:
    """A warehouse of its own: the runner's dataset, workspaces and progress go there."""
    return {"HEALTHLAKE_WAREHOUSE": str(tmp_path / "warehouse")}


def learn(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run([*JUST, "learn", *args], env=env)


def test_a_first_exercise_from_failure_to_pass(learn_env: dict[str, str], tmp_path: Path) -> None:
    total = len(discover())
    listed = learn(learn_env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"0 of {total} exercises passed")
    assert "[ ] omop-01     Count people by gender" in listed.stdout
    assert "next: omop-01 Count people by gender\n  just learn show omop-01" in listed.stdout

    shown = learn(learn_env, "show", "omop-01")
    assert shown.returncode == 0, shown.stderr
    work = tmp_path / "warehouse" / "learn" / "work" / "omop-01"
    assert f"Edit:\n  {work / 'query.sql'}\nThen: just learn check omop-01" in shown.stdout
    assert "# Count people by gender" in shown.stdout
    assert "Hint:" not in shown.stdout and "Reference solution" not in shown.stdout
    starter = find("omop-01").folder / "query.sql"
    assert (work / "query.sql").read_text() == starter.read_text()

    one_line_error(
        learn(learn_env, "show", "omop-01", "--solution"),
        "the solution of omop-01 is shown after a failed check",
        exit_code=2,
    )
    failed = learn(learn_env, "check", "omop-01")
    assert failed.returncode == 1, failed.stderr
    assert "omop-01 not yet" in failed.stdout
    assert "  - expected columns gender_concept_id, persons; you returned gender_concept_id" in (
        failed.stdout
    )
    hinted = learn(learn_env, "show", "omop-01", "--hint", "--solution")
    assert hinted.returncode == 0, hinted.stderr
    assert "Hint: group by gender_concept_id" in hinted.stdout
    assert "Reference solution:\n--- query.sql\nselect" in hinted.stdout

    # The learner's edit survives `show`; `check` with no id checks the next exercise.
    shutil.copyfile(find("omop-01").solution_dir / "query.sql", work / "query.sql")
    assert learn(learn_env, "show", "omop-01").returncode == 0
    passed = learn(learn_env, "check")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.startswith("omop-01 passed: Count people by gender")
    assert "next: just learn show omop-02" in passed.stdout
    progressed = learn(learn_env)
    assert progressed.stdout.startswith(f"1 of {total} exercises passed")
    assert "[x] omop-01" in progressed.stdout
    assert "next: omop-02" in progressed.stdout
    # The repository's starter is untouched.
    assert starter.read_text() != (work / "query.sql").read_text()


def test_progress_and_workspaces_are_git_ignored() -> None:
    for path in ("warehouse/learn/progress.json", "warehouse/learn/work/omop-01/query.sql"):
        ignored = run(["git", "-C", str(REPO_ROOT), "check-ignore", "-q", path])
        assert ignored.returncode == 0, path


@pytest.mark.parametrize("command", ["show", "check"])
def test_an_unknown_exercise_is_a_one_line_error(learn_env: dict[str, str], command: str) -> None:
    one_line_error(
        learn(learn_env, command, "omop-99"), "no exercise 'omop-99'", "just learn", exit_code=2
    )


def test_an_unknown_command_is_a_one_line_error(learn_env: dict[str, str]) -> None:
    one_line_error(learn(learn_env, "solve"), "invalid choice: 'solve'", exit_code=2)
