"""Every exercise that runs without dbt: its starter fails its checker, its solution passes.

Parametrised over the discovered exercises, so a new one is tested as soon as its folder
exists. The dbt ones (seconds per build) are in test_dbt_exercises.py, so that xdist's
`--dist loadfile` runs the two files side by side.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.catalog import Exercise, discover
from exercises.dataset import Dataset
from tests.exercises.conftest import assert_starter_fails_and_solution_passes

WITHOUT_DBT = [exercise for exercise in discover() if exercise.kind != "dbt"]


def test_there_are_exercises_in_every_track() -> None:
    from exercises.catalog import TRACKS

    assert len(discover()) >= 24
    assert {exercise.track for exercise in discover()} == set(TRACKS)


@pytest.mark.parametrize("exercise", WITHOUT_DBT, ids=[e.id for e in WITHOUT_DBT])
def test_the_starter_fails_and_the_solution_passes(
    exercise: Exercise, learn_dataset: Dataset, tmp_path: Path
) -> None:
    assert_starter_fails_and_solution_passes(exercise, learn_dataset, tmp_path)
