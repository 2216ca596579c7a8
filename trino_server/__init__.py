"""A local Trino (Athena's engine) over the lakehouse's Iceberg tables: `python -m trino_server`.

Named for what it holds, the server and its catalog database, so that it does not shadow the
`trino` client package that dbt-trino imports.
"""
