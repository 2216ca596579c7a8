"""The learner's copy of an exercise: warehouse/learn/work/<id>/, git-ignored.

The repository's starter files stay as they are (so the tests can check the starter and the
solution of every exercise); the learner edits the copy, and the checker reads the copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from exercises.catalog import Exercise
from exercises.dataset import learn_dir


def workspace_dir(exercise: Exercise, root: Path | None = None) -> Path:
    """Where the learner edits this exercise."""
    return (root or learn_dir() / "work") / exercise.id


def materialize(exercise: Exercise, destination: Path, *, solved: bool = False) -> Path:
    """Copy the starter files to `destination` (solution/ over them when `solved`); files
    already there are kept, so a learner's edits survive `show`."""
    destination.mkdir(parents=True, exist_ok=True)
    for relative in exercise.starter_files():
        target = destination / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(exercise.folder / relative, target)
    if solved:
        shutil.copytree(exercise.solution_dir, destination, dirs_exist_ok=True)
    return destination


def ensure_workspace(exercise: Exercise) -> Path:
    """The learner's workspace, made from the starter files the first time."""
    return materialize(exercise, workspace_dir(exercise))
