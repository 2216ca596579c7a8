"""Seeded synthetic populations rendered as FHIR R4 Bulk Data NDJSON and OMOP CDM v5.4 Parquet."""

__version__ = "0.1.0"
