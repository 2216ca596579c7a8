"""The Iceberg layer: catalogs, bronze table definitions, loaders, the DuckDB mirror of bronze."""
