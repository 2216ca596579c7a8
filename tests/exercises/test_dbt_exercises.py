"""Every dbt exercise (a small dbt project built with the project's dbt): its starter fails its
checker, its solution passes. The others are in test_exercises.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.catalog import Exercise, discover
from exercises.dataset import Dataset
from tests.exercises.conftest import assert_starter_fails_and_solution_passes

WITH_DBT = [exercise for exercise in discover() if exercise.kind == "dbt"]


@pytest.mark.dbt
@pytest.mark.parametrize("exercise", WITH_DBT, ids=[e.id for e in WITH_DBT])
def test_the_starter_fails_and_the_solution_passes(
    exercise: Exercise, learn_dataset: Dataset, tmp_path: Path
) -> None:
    assert_starter_fails_and_solution_passes(exercise, learn_dataset, tmp_path)
