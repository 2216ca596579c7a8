"""The Iceberg layer: catalogs, bronze table definitions, loaders and FHIR input, streaming
writes and scans, time travel, maintenance. The DuckDB side that reads it is `lakehouse`."""
