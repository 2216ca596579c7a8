"""dbt-duckdb plugin: dbt sources in `bronze` read the Iceberg bronze namespace.

Configured in `profiles/profiles.yml` (module `iceberg.dbt_plugin`, alias `iceberg_bronze`) and
named by the sources with `meta: {plugin: iceberg_bronze, save_mode: ignore}`.

It follows dbt-duckdb's plugin contract:
- `configure_connection` runs once per dbt invocation, when the DuckDB file is opened: it brings
  DuckDB's `bronze` schema up to the catalog's current snapshots (see `iceberg.duckdb_mirror`),
  copying only tables whose snapshot moved.
- `HEALTHLAKE_BRONZE_AS_OF_RUN=<run id>` (or `as_of_run` in the plugin config) pins the build
  to bronze as it was when that run finished: time travel for every model at once.
- `load` is reached only for a declared source that the DuckDB file lacks after mirroring (a
  FHIR resource type no file contained, or any source with `read_catalog: false`): it yields an
  empty table of the bronze definition, so every model still builds, with zero rows from it.
"""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from duckdb import DuckDBPyConnection

from iceberg.catalog import BRONZE, load_catalog
from iceberg.duckdb_mirror import mirror_namespace
from iceberg.exceptions import TableNotLoadedError
from iceberg.tables import definition_for


class Plugin(BasePlugin):
    """Reads bronze tables of an Iceberg catalog from `profiles/catalogs.yml`."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        """Take the catalog name and namespace from the profile."""
        self._catalog_name = str(plugin_config.get("catalog", "local"))
        self._namespace = str(plugin_config.get("namespace", BRONZE))
        # False for targets that only compile (the `lint` target): every source is then an
        # empty table of its bronze definition and no catalog is needed.
        self._read_catalog = bool(plugin_config.get("read_catalog", True))
        pinned = os.environ.get("HEALTHLAKE_BRONZE_AS_OF_RUN") or plugin_config.get("as_of_run")
        self._as_of_run = str(pinned) if pinned else None

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        """Mirror changed bronze tables into DuckDB before any model runs."""
        if not self._read_catalog:
            return
        catalog = load_catalog(self._catalog_name)
        mirror_namespace(catalog, conn, self._namespace, as_of_run=self._as_of_run)

    def load(self, source_config: SourceConfig) -> pa.Table:
        """An empty table for a declared bronze source the catalog does not hold."""
        name = str(source_config.identifier)
        definition = definition_for(name)
        if definition is None:
            raise TableNotLoadedError(
                f"source {self._namespace}.{name} is not in the Iceberg catalog "
                f"{self._catalog_name!r} and is not a known bronze table; load it or remove "
                "it from the sources file"
            )
        return definition.schema.empty_table()

    def default_materialization(self) -> str:
        """Sources become tables in the DuckDB file, so other processes can query them."""
        return "table"
