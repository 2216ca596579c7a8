"""Exercises that check themselves (`just learn`).

python -m exercises                         # the tracks, your progress, the next exercise
python -m exercises show ID [--hint] [--solution]
python -m exercises check [ID]              # check your work (default: the next exercise)

`show` prints the task and copies the starter files into warehouse/learn/work/ID/, where you
edit them. `check` runs your work on a small seeded dataset (built once, in seconds) and
compares its results with the reference solution's: exit 0 when it passes, 1 when it does not,
with what is wrong. `--solution` prints the reference solution, once a check of that exercise
has failed. docs/learn.md says more.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from common.cli import OneLineParser, print_error
from common.errors import HealthlakeError
from common.paths import REPO_ROOT
from exercises import progress
from exercises.catalog import TRACKS, Exercise, discover, find
from exercises.dataset import PATIENTS, SEED, ensure_dataset, learn_dir
from exercises.exceptions import SolutionLockedError
from exercises.workspace import ensure_workspace, workspace_dir


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m exercises", description=__doc__)
    commands = parser.add_subparsers(dest="command", parser_class=OneLineParser)
    commands.add_parser("list", help="the tracks, your progress and the next exercise")
    show = commands.add_parser("show", help="print an exercise's task and where to edit it")
    show.add_argument("id", help="the exercise id, e.g. omop-01")
    show.add_argument("--hint", action="store_true", help="print the hint too")
    show.add_argument(
        "--solution",
        action="store_true",
        help="print the reference solution (after a failed check)",
    )
    check = commands.add_parser("check", help="check your work on an exercise")
    check.add_argument("id", nargs="?", help="the exercise id (default: the next one)")
    return parser


def _shown(path: Path) -> str:
    """A path as the learner types it: relative to the repository when inside it."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def _next(exercises: tuple[Exercise, ...], entries: dict[str, progress.Entry]) -> Exercise | None:
    return next((e for e in exercises if not entries.get(e.id, progress.Entry()).passed), None)


def list_exercises() -> int:
    """Print every track's exercises with the learner's progress, then the next one."""
    exercises = discover()
    entries = progress.load()
    passed = sum(entries.get(e.id, progress.Entry()).passed for e in exercises)
    where = _shown(progress.progress_file())
    print(f"{passed} of {len(exercises)} exercises passed (progress: {where})")
    for track, title in TRACKS.items():
        own = [e for e in exercises if e.track == track]
        if not own:
            continue
        print(f"\n{title}")
        for exercise in own:
            entry = entries.get(exercise.id, progress.Entry())
            mark = "x" if entry.passed else " "
            tries = (
                f"  ({entry.failed_checks} failed checks)"
                if entry.failed_checks and not entry.passed
                else ""
            )
            print(f"  [{mark}] {exercise.id:<11} {exercise.title}{tries}")
    upcoming = _next(exercises, entries)
    if upcoming is None:
        print("\nevery exercise passed")
    else:
        print(f"\nnext: {upcoming.id} {upcoming.title}\n  just learn show {upcoming.id}")
    return 0


def show(exercise_id: str, *, hint: bool, solution: bool) -> int:
    """Print the task, the files to edit (copied to the workspace) and what was asked for."""
    exercise = find(exercise_id)
    if solution:
        entry = progress.load().get(exercise.id, progress.Entry())
        if not entry.failed_checks:
            raise SolutionLockedError(
                f"the solution of {exercise.id} is shown after a failed check; "
                f"try first: just learn check {exercise.id}"
            )
    work = ensure_workspace(exercise)
    print(f"{exercise.id}: {exercise.title}\n")
    print(exercise.task.rstrip())
    print("\nEdit:")
    for name in exercise.edit:
        print(f"  {_shown(work / name)}")
    print(f"Then: just learn check {exercise.id}")
    if hint:
        print(f"\nHint: {exercise.hint or 'no hint for this one'}")
    if solution:
        print("\nReference solution:")
        for path in sorted(p for p in exercise.solution_dir.rglob("*") if p.is_file()):
            print(f"--- {path.relative_to(exercise.solution_dir).as_posix()}")
            print(path.read_text(encoding="utf-8").rstrip())
    return 0


def check(exercise_id: str | None) -> int:
    """Check the learner's work; exit status 0 when it passes, 1 when it does not."""
    if exercise_id is None:
        upcoming = _next(discover(), progress.load())
        if upcoming is None:
            print("every exercise passed; check one again with: just learn check ID")
            return 0
        exercise = upcoming
    else:
        exercise = find(exercise_id)
    # Imported here: the list and `show` need none of DuckDB, dbt, sqlglot or the generator.
    from exercises import checkers

    dataset_root = learn_dir() / "dataset"
    if not (dataset_root / "stamp.json").is_file():
        where = _shown(dataset_root)
        print(f"building the exercise dataset ({PATIENTS} patients, seed {SEED}) in {where}")
    dataset = ensure_dataset(dataset_root)
    fresh = not workspace_dir(exercise).is_dir()
    work = ensure_workspace(exercise)
    started = time.monotonic()
    problems = checkers.check(exercise, work, dataset)
    entry = progress.record(exercise.id, passed=not problems)
    took = f"{time.monotonic() - started:.1f} s"
    if not problems:
        print(f"{exercise.id} passed: {exercise.title} ({took})")
        upcoming = _next(discover(), progress.load())
        if upcoming is not None:
            print(f"next: just learn show {upcoming.id}")
        return 0
    print(f"{exercise.id} not yet: {exercise.title} ({took})")
    if fresh:
        print(f"  (the starter files are now in {_shown(work)}: edit them)")
    for problem in problems:
        print(f"  - {problem}")
    print(
        f"edit {', '.join(_shown(work / name) for name in exercise.edit)} and check again "
        f"(failed checks: {entry.failed_checks}); a hint: just learn show {exercise.id} --hint, "
        f"the solution: just learn show {exercise.id} --solution"
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "show":
            return show(args.id, hint=args.hint, solution=args.solution)
        if args.command == "check":
            return check(args.id)
        return list_exercises()
    except HealthlakeError as error:
        return print_error(error)
    except BrokenPipeError:  # `just learn | head`: the reader has what it wanted
        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - quiets the flush at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
