"""Named errors of the generators; the command line prints them as one line and exits 2."""

from common.errors import HealthlakeError


class GeneratorError(HealthlakeError):
    """Base class: something the user can fix (the message says what and where)."""


class ConfigError(GeneratorError):
    """A generator setting is missing, of the wrong type, or impossible."""


class OutputError(GeneratorError):
    """The output folder cannot be written."""
