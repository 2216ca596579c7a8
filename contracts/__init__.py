"""Data contracts of the data products (ODCS v3 YAML beside this file): `python -m contracts`.

One contract per product: the OMOP CDM (`omop_cdm.odcs.yaml`) and each gold mart. `load`
validates a contract against the standard's own JSON schema and our references; `drift` holds
each contract equal to the dbt model yml files, both ways; `diff` says what changed between two
versions of a contract and whether it breaks consumers. `policies` holds who may see what
(contracts/policies.yml), `publish` enforces it on DuckDB with one file per role, `access` says
what a role reads, `parity` compares each role's file with its Athena SQL (docs/governance.md).
"""
