"""Named errors of the exercise runner; the command line prints them as one line and exits 2."""

from common.errors import HealthlakeError


class ExerciseError(HealthlakeError):
    """Base class: something the learner can fix (the message says what and what to do)."""


class UnknownExerciseError(ExerciseError):
    """An exercise id that no exercise has."""


class SolutionLockedError(ExerciseError):
    """`--solution` asked for before any failed check of that exercise."""


class ExerciseSpecError(ExerciseError):
    """An exercise folder whose exercise.toml is missing or wrong (for exercise authors)."""
