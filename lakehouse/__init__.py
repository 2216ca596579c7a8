"""The DuckDB side of the lakehouse: `warehouse/lakehouse.duckdb`, what dbt builds on DuckDB.

`duckdb_mirror` copies the Iceberg bronze tables into the DuckDB file, and `dbt_plugin` runs it
for dbt-duckdb before any model; `build` runs `dbt build` on a working copy published only when
everything passed; `database` knows where the file is, whether another process holds it and what
it holds (the run summary). It reads the Iceberg catalog through `iceberg`; `iceberg` never
imports it.
"""
