"""The Iceberg layer: catalogs, bronze table definitions, loaders, and the DuckDB mirror of bronze."""
