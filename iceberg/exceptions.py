"""Named errors of the Iceberg layer; the command line prints them as one line and exits 2."""

from common.errors import HealthlakeError


class IcebergLayerError(HealthlakeError):
    """Base class: something the user can fix (the message says what, where and what to do)."""


class CatalogConfigError(IcebergLayerError):
    """A catalog is unknown, or its configuration needs a setting that is missing."""


class CatalogMissingError(IcebergLayerError):
    """The catalog has not been created yet (nothing was loaded)."""


class CatalogUnreachableError(IcebergLayerError):
    """The database that holds a SQL catalog does not answer (a server that is not running)."""


class TableNameError(IcebergLayerError):
    """A table name given on the command line is not a name (`../x`, `""`, `bronze.`, `a.b.c`)."""


class TableNotLoadedError(IcebergLayerError):
    """A bronze table that a reader needs does not exist in the catalog."""


class SchemaChangeError(IcebergLayerError):
    """A table definition changed in a way the existing table cannot evolve to."""


class SourceFileError(IcebergLayerError):
    """An input file cannot be read as what it claims to be."""


class LedgerError(IcebergLayerError):
    """A table's record of the files it holds (its ledger) cannot be read."""


class CountCheckError(IcebergLayerError):
    """Records in did not equal rows loaded plus rows quarantined; nothing was committed."""


class LoadInterruptedError(IcebergLayerError):
    """Some tables of a load committed and a later one failed; running it again completes it."""


class SnapshotNotFoundError(IcebergLayerError):
    """A snapshot id or run id asked for is not in a table's history."""
