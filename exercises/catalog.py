"""The exercises there are: one folder each under exercises/tracks/<track>/<NN>-<name>/.

A folder holds README.md (the task), exercise.toml (title, kind, the files the learner edits, a
hint and what the checker compares), the starter files and solution/ (the reference solution:
the edited files as they should end up). Everything in the folder but README.md, exercise.toml
and solution/ is a starter file, copied into the learner's workspace as it is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from exercises.exceptions import ExerciseSpecError, UnknownExerciseError

TRACKS_DIR = Path(__file__).resolve().parent / "tracks"
# The tracks in the order the data travels: the OMOP tables first (SQL on what analysts query),
# then the raw FHIR it comes from, the dbt project that maps one to the other, the Iceberg
# bronze layer underneath, the Athena port, the quality checks on top and, last, who may see
# what of it all (governance).
TRACKS: dict[str, str] = {
    "omop": "SQL on the OMOP CDM",
    "fhir": "FHIR: raw bronze JSON, flattening, ViewDefinitions",
    "dbt": "dbt: staging, tests, incremental models, unit tests",
    "iceberg": "Iceberg: snapshots, time travel, maintenance, interrupted loads",
    "parity": "Athena parity: portable SQL and dispatch macros",
    "quality": "Data quality: find the defect injected in a table",
    "governance": "Governance: classify columns, mask a table for a role",
}
KINDS = ("sql", "classification", "portable-sql", "view", "dbt", "python")
NOT_STARTER = {"README.md", "exercise.toml", "solution"}
_FOLDER = re.compile(r"^(\d{2})-[a-z0-9-]+$")


@dataclass(frozen=True)
class Exercise:
    """One exercise, as its folder and exercise.toml describe it."""

    id: str
    track: str
    number: int
    folder: Path
    title: str
    kind: str
    edit: tuple[str, ...]
    hint: str
    check: dict[str, Any] = field(default_factory=dict)

    @property
    def task(self) -> str:
        """The task text (README.md)."""
        return (self.folder / "README.md").read_text(encoding="utf-8")

    @property
    def solution_dir(self) -> Path:
        """The reference solution: the edited files as they should end up."""
        return self.folder / "solution"

    def starter_files(self) -> list[Path]:
        """The starter files, relative to the folder, in a stable order."""
        return sorted(
            path.relative_to(self.folder)
            for path in self.folder.rglob("*")
            if path.is_file()
            and path.relative_to(self.folder).parts[0] not in NOT_STARTER
            and "__pycache__" not in path.parts
        )


def _read(track: str, folder: Path) -> Exercise:
    spec_path = folder / "exercise.toml"
    match = _FOLDER.match(folder.name)
    if match is None:
        raise ExerciseSpecError(f"{folder}: an exercise folder is named NN-name (e.g. 01-counts)")
    try:
        spec = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ExerciseSpecError(f"{spec_path}: cannot be read ({error})") from None
    exercise = Exercise(
        id=f"{track}-{match.group(1)}",
        track=track,
        number=int(match.group(1)),
        folder=folder,
        title=str(spec.get("title", "")),
        kind=str(spec.get("kind", "")),
        edit=tuple(spec.get("edit", ())),
        hint=str(spec.get("hint", "")).strip(),
        check=dict(spec.get("check", {})),
    )
    problems = []
    if not exercise.title:
        problems.append("no title")
    if exercise.kind not in KINDS:
        problems.append(f"kind {exercise.kind!r} is none of {', '.join(KINDS)}")
    if not exercise.edit:
        problems.append("no files to edit (edit = [...])")
    starters = {path.as_posix() for path in exercise.starter_files()}
    problems += [
        f"edit names {name}, which is no starter file"
        for name in exercise.edit
        if name not in starters
    ]
    if not (folder / "README.md").is_file():
        problems.append("no README.md (the task)")
    if not exercise.solution_dir.is_dir():
        problems.append("no solution/ folder")
    if problems:
        raise ExerciseSpecError(f"{spec_path}: {'; '.join(problems)}")
    return exercise


@cache
def discover(root: Path = TRACKS_DIR) -> tuple[Exercise, ...]:
    """Every exercise, in track order then number order."""
    found = []
    for track in TRACKS:
        track_dir = root / track
        if not track_dir.is_dir():
            continue
        found += [_read(track, folder) for folder in sorted(track_dir.iterdir()) if folder.is_dir()]
    unknown = sorted(
        path.name for path in root.iterdir() if path.is_dir() and path.name not in TRACKS
    )
    if unknown:
        raise ExerciseSpecError(
            f"{root}: track folder(s) {', '.join(unknown)} are not in exercises.catalog.TRACKS"
        )
    return tuple(found)


def find(exercise_id: str) -> Exercise:
    """The exercise with this id.

    Raises:
        UnknownExerciseError: no exercise has it.
    """
    for exercise in discover():
        if exercise.id == exercise_id:
            return exercise
    raise UnknownExerciseError(
        f"no exercise {exercise_id!r}; `just learn` lists them (ids such as omop-01)"
    )
