"""The learner's progress: warehouse/learn/progress.json, git-ignored, one entry per exercise.

An entry counts the checks that failed and says whether one passed; `--solution` is shown only
for an exercise with a failed check.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from exercises.dataset import learn_dir


@dataclass
class Entry:
    """One exercise's progress."""

    passed: bool = False
    failed_checks: int = 0
    last_checked_at: str | None = None


def progress_file() -> Path:
    """Where progress is kept."""
    return learn_dir() / "progress.json"


def load() -> dict[str, Entry]:
    """Every exercise's progress (an exercise never checked has no entry)."""
    path = progress_file()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {key: Entry(**value) for key, value in data.items()}
    except (ValueError, TypeError):
        # A file broken by hand is progress lost, not a reason to refuse to run.
        return {}


def record(exercise_id: str, passed: bool) -> Entry:
    """Record a check's outcome; return the exercise's entry."""
    entries = load()
    entry = entries.setdefault(exercise_id, Entry())
    entry.passed = entry.passed or passed
    entry.failed_checks += 0 if passed else 1
    entry.last_checked_at = datetime.now(UTC).isoformat(timespec="seconds")
    path = progress_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(
        json.dumps({key: asdict(value) for key, value in sorted(entries.items())}, indent=2)
    )
    partial.replace(path)
    return entry
