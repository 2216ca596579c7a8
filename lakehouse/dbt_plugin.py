"""dbt-duckdb plugin: dbt sources in `bronze` read the Iceberg bronze namespace.

Configured in `profiles/profiles.yml` (module `lakehouse.dbt_plugin`, alias `iceberg_bronze`) and
named by the sources with `meta: {plugin: iceberg_bronze, save_mode: ignore}`.

It follows dbt-duckdb's plugin contract:
- `configure_connection` runs once per dbt invocation, when the DuckDB file is opened: it brings
  DuckDB's `bronze` schema up to the catalog's current snapshots (see `lakehouse.duckdb_mirror`:
  views over the snapshots' Parquet files, copies where DuckDB cannot read them as the table),
  touching only tables whose snapshot moved. DuckDB's `memory_limit` is lowered for a copy
  only and put back before any model runs, so the build keeps the profile's settings.
- `HEALTHLAKE_BRONZE_AS_OF_RUN=<run id>` (or `as_of_run` in the plugin config) pins the build
  to bronze as it was when that run finished: time travel for every model at once.
- Sources the catalog does not hold (a FHIR resource type no file contained, the quarantine
  before anything was quarantined, every source with `read_catalog: false`) are created as
  empty tables of their bronze definitions in the same step, so every model still builds, with
  zero rows from them. Doing it here, once, rather than in `load` matters: dbt runs nodes on
  several threads, and two of them creating the same missing table at once conflict.
- `load` is then reached only for a source that is neither in the catalog nor declared in a
  sources file of the project, which is an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from duckdb import DuckDBPyConnection

from common.paths import DBT_PROJECT_DIR
from iceberg.catalog import BRONZE, load_catalog
from iceberg.exceptions import TableNotLoadedError
from iceberg.tables import definition_for
from lakehouse.duckdb_mirror import create_empty_tables, mirror_namespace


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
        self._models_dir = Path(plugin_config.get("models_dir", DBT_PROJECT_DIR / "models"))

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        """Mirror changed bronze tables into DuckDB, then create the declared sources the catalog
        lacks as empty tables, before any model runs."""
        if self._read_catalog:
            catalog = load_catalog(self._catalog_name)
            mirror_namespace(catalog, conn, self._namespace, as_of_run=self._as_of_run)
        declared = declared_sources(self._models_dir, self.name)
        unknown = [name for name in declared if definition_for(name) is None]
        if unknown:
            raise TableNotLoadedError(
                f"sources {', '.join(unknown)} in {self._models_dir} are not bronze tables this "
                "project defines (fhir_<type>, omop_<cdm table>, quarantine); fix the sources file"
            )
        create_empty_tables(
            conn, self._namespace, [d for d in map(definition_for, declared) if d is not None]
        )

    def load(self, source_config: SourceConfig) -> pa.Table:
        """Reached only for a source neither loaded nor declared: say so."""
        raise TableNotLoadedError(
            f"source {self._namespace}.{source_config.identifier} is not in the Iceberg catalog "
            f"{self._catalog_name!r} nor declared in {self._models_dir}; load it or declare it"
        )

    def default_materialization(self) -> str:
        """Sources become tables in the DuckDB file, so other processes can query them."""
        return "table"


def declared_sources(models_dir: Path, plugin_alias: str) -> list[str]:
    """The table names of every dbt source in `models_dir` read through this plugin."""
    names: set[str] = set()
    for path in sorted(models_dir.rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for source in document.get("sources") or []:
            if (source.get("meta") or {}).get("plugin") != plugin_alias:
                continue
            names.update(
                str(table.get("identifier") or table["name"]) for table in source.get("tables", [])
            )
    return sorted(names)
