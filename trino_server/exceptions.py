"""Named errors of the local Trino; the command line prints them as one line and exits 2."""

from common.errors import HealthlakeError


class TrinoServerError(HealthlakeError):
    """Base class: something the user can fix (the message says what, where and what to do)."""


class DownloadError(TrinoServerError):
    """The Trino server could not be fetched, or what was fetched is not the pinned file."""


class JavaNotFoundError(TrinoServerError):
    """No JDK new enough for the pinned Trino is installed."""


class CatalogDatabaseError(TrinoServerError):
    """The PostgreSQL server that holds the Iceberg catalog could not be started or reached."""


class ServerStartError(TrinoServerError):
    """Trino did not start, or did not answer in time."""


class SilentExitError(ServerStartError):
    """Trino exited while starting and logged no error."""
