"""The exercise dataset, built once per test session (per xdist worker) in a temp folder, and
the check every exercise must pass: its starter fails, its reference solution passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.catalog import Exercise
from exercises.checkers import check
from exercises.dataset import Dataset, ensure_dataset
from exercises.workspace import materialize


@pytest.fixture(scope="session")
def learn_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """The seeded dataset the checks run on, shared by every test of the session (the expected
    results of the reference solutions are cached in it, as they are for a learner)."""
    return ensure_dataset(tmp_path_factory.mktemp("learn") / "dataset")


def assert_starter_fails_and_solution_passes(
    exercise: Exercise, dataset: Dataset, tmp_path: Path
) -> None:
    """The unsolved starter fails its checker with a message; the solution passes it."""
    starter = materialize(exercise, tmp_path / "starter")
    problems = check(exercise, starter, dataset)
    assert problems, f"{exercise.id}: the unsolved starter passes its checker"
    assert all(problem.strip() and "\n" not in problem for problem in problems), problems
    solved = materialize(exercise, tmp_path / "solved", solved=True)
    assert check(exercise, solved, dataset) == [], f"{exercise.id}: the solution fails"
