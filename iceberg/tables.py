"""Bronze table definitions in one place: schema and properties of every bronze table.

Two families, both carrying the same lineage columns:
- `bronze.fhir_<type>`: one row per FHIR resource, the raw JSON plus the few fields every reader
  needs to find it (type, id, lastUpdated, patient reference). One table per resource type,
  including types no model reads yet: kept, never dropped.
- `bronze.omop_<table>`: an OMOP CDM v5.4 feed, the spec's columns in spec order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.table import Table

from generators import omop_spec
from iceberg.catalog import BRONZE
from iceberg.exceptions import SchemaChangeError

LINEAGE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("source_file", pa.string(), nullable=False),
    # Line of an NDJSON file, entry index of a Bundle, or row number of a Parquet file.
    pa.field("source_line", pa.int64(), nullable=False),
    pa.field("pipeline_run_id", pa.string(), nullable=False),
    pa.field("loaded_at", pa.timestamp("us"), nullable=False),
)

FHIR_RESOURCE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("resource_type", pa.string(), nullable=False),
    pa.field("resource_id", pa.string(), nullable=False),
    pa.field("last_updated", pa.string()),
    pa.field("patient_reference", pa.string()),
    pa.field("resource_json", pa.string(), nullable=False),
)

# Every FHIR resource type shares one bronze schema; the table name carries the type.
FHIR_SCHEMA = pa.schema([*FHIR_RESOURCE_FIELDS, *LINEAGE_FIELDS])

TABLE_PROPERTIES = {
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
    "write.target-file-size-bytes": str(128 * 1024 * 1024),
}


@dataclass(frozen=True)
class BronzeTable:
    """The definition of one bronze table."""

    name: str
    schema: pa.Schema

    @property
    def identifier(self) -> str:
        """`bronze.<name>`, as catalogs and dbt sources spell it."""
        return f"{BRONZE}.{self.name}"


def fhir_table_name(resource_type: str) -> str:
    """`MedicationRequest` -> `fhir_medication_request`."""
    return "fhir_" + re.sub(r"(?<!^)(?=[A-Z])", "_", resource_type).lower()


def fhir_table(resource_type: str) -> BronzeTable:
    """The bronze table that holds resources of `resource_type`."""
    return BronzeTable(fhir_table_name(resource_type), FHIR_SCHEMA)


def omop_table(cdm_table: str) -> BronzeTable:
    """The bronze table that holds an OMOP feed's `cdm_table` rows."""
    cdm_fields = list(omop_spec.arrow_schema(cdm_table))
    return BronzeTable(f"omop_{cdm_table}", pa.schema([*cdm_fields, *LINEAGE_FIELDS]))


def ensure_table(catalog: Catalog, definition: BronzeTable) -> Table:
    """Create the table if missing, or evolve it to the definition (new optional columns only).

    Raises:
        SchemaChangeError: the existing table has a column whose type the definition changed.
    """
    catalog.create_namespace_if_not_exists(BRONZE)
    try:
        table = catalog.load_table(definition.identifier)
    except NoSuchTableError:
        return catalog.create_table_if_not_exists(
            definition.identifier, schema=definition.schema, properties=TABLE_PROPERTIES
        )
    existing = table.schema().as_arrow()
    for wanted in definition.schema:
        if wanted.name in existing.names:
            have = existing.field(wanted.name).type
            if have != wanted.type and not _widens(have, wanted.type):
                raise SchemaChangeError(
                    f"{definition.identifier}.{wanted.name} is {have} in the catalog but the "
                    f"definition says {wanted.type}; drop the table or migrate it by hand"
                )
    if any(name not in existing.names for name in definition.schema.names):
        with table.update_schema() as update:
            update.union_by_name(definition.schema)
    return table


def _widens(have: pa.DataType, wanted: pa.DataType) -> bool:
    """Iceberg's allowed promotions: int -> long, float -> double."""
    return (have, wanted) in {
        (pa.int32(), pa.int64()),
        (pa.float32(), pa.float64()),
        # Iceberg has one string type; Arrow may read it back as large_string.
        (pa.large_string(), pa.string()),
    }


def definition_for(name: str) -> BronzeTable | None:
    """The definition of bronze table `name` (`fhir_<type>` or `omop_<cdm table>`), if known."""
    if name.startswith("fhir_") and len(name) > len("fhir_"):
        return BronzeTable(name, FHIR_SCHEMA)
    if name.startswith("omop_") and name.removeprefix("omop_") in omop_spec.table_names():
        return omop_table(name.removeprefix("omop_"))
    return None
