"""Named errors of the DuckDB lakehouse; the command line prints them as one line and exits 2
(a failed build: 1, see BuildFailedError)."""

from common.errors import HealthlakeError


class LakehouseError(HealthlakeError):
    """Base class: something the user can fix (the message says what, where and what to do)."""


class LakehouseLockedError(LakehouseError):
    """The DuckDB lakehouse file is held open by another process."""


class LakehouseChangedError(LakehouseError):
    """Another process wrote the DuckDB lakehouse while a build was running on its copy."""


class BuildFailedError(LakehouseError):
    """dbt failed or was stopped, or the build was interrupted; the command exits `exit_code`
    (1, or 128 + the signal that interrupted it) rather than 2."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
