"""Bronze table definitions in one place: schema, partition spec and properties of every table.

Three families, all carrying the same lineage columns:
- `bronze.fhir_<type>`: one row per FHIR resource, the raw JSON plus the few fields every reader
  needs to find it (type, id, lastUpdated, patient reference). One table per resource type,
  including types no model reads yet: kept, never dropped.
- `bronze.omop_<table>`: an OMOP CDM v5.4 feed, the spec's columns in spec order.
- `bronze.quarantine`: input records that could not be loaded, with the raw text and the reason.

Every bronze table is unpartitioned, on purpose: PyIceberg 0.12 streams a RecordBatchReader into
unpartitioned tables only (a partitioned write needs the whole load as one in-memory Arrow table),
and bounded memory for inputs larger than RAM matters more here than partition pruning. Loads
replace rows by `source_file`, and Parquet column statistics on that column already let the
delete skip files of other sources. Measured in docs/performance.md ("Bronze").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionSpec
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

# Snapshot summary key that tags every commit with the pipeline run that made it.
RUN_ID_PROPERTY = "healthlake.run-id"

QUARANTINE_FIELDS: tuple[pa.Field, ...] = (
    # Why the record was not loaded, in words a user can act on.
    pa.field("reason", pa.string(), nullable=False),
    # The record as read: the NDJSON line, the Bundle entry or the whole document. Bytes that are
    # not UTF-8 appear as \xNN escapes; a line over the size limit is cut (the reason says so).
    pa.field("raw_text", pa.string(), nullable=False),
    # What could still be told about the record, if anything.
    pa.field("resource_type", pa.string()),
    pa.field("resource_id", pa.string()),
)
QUARANTINE_SCHEMA = pa.schema([*QUARANTINE_FIELDS, *LINEAGE_FIELDS])
QUARANTINE_TABLE = "quarantine"

# Uncompressed Arrow bytes written per data file (see "write.target-file-size-bytes" below).
WRITE_BUFFER_BYTES = 32 * 1024 * 1024

TABLE_PROPERTIES = {
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
    # In PyIceberg 0.12 this is *uncompressed Arrow bytes* per data file, not file size on disk,
    # and the loaders hold one such buffer in memory while writing it (iceberg/streaming.py):
    # it bounds their memory. zstd makes the files 5-25x smaller on disk.
    "write.target-file-size-bytes": str(WRITE_BUFFER_BYTES),
    # The loaders retry a conflicting commit themselves, re-reading the table's record of loaded
    # files first; PyIceberg's own retry would re-apply a stale copy of that record.
    "commit.retry.num-retries": "0",
}


@dataclass(frozen=True)
class BronzeTable:
    """The definition of one bronze table."""

    name: str
    schema: pa.Schema
    partition_spec: PartitionSpec = UNPARTITIONED_PARTITION_SPEC

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
    """Create the table if missing, or evolve it to the definition.

    Evolution covers what can happen without rewriting data: new optional columns, Iceberg's
    type promotions (int -> long, float -> double) and changed table properties.

    Raises:
        SchemaChangeError: the definition changed a column's type, added a required column, or
            changed the partition spec of an existing table.
    """
    catalog.create_namespace_if_not_exists(BRONZE)
    try:
        table = catalog.load_table(definition.identifier)
    except NoSuchTableError:
        return catalog.create_table_if_not_exists(
            definition.identifier,
            schema=definition.schema,
            partition_spec=definition.partition_spec,
            properties=TABLE_PROPERTIES,
        )
    existing = table.schema().as_arrow()
    added = []
    for wanted in definition.schema:
        if wanted.name not in existing.names:
            if not wanted.nullable:
                raise SchemaChangeError(
                    f"{definition.identifier}: the definition adds required column "
                    f"{wanted.name!r}, which existing rows cannot have; make it optional "
                    "(nullable) in iceberg/tables.py"
                )
            added.append(wanted.name)
            continue
        have = existing.field(wanted.name).type
        if have != wanted.type and not _widens(have, wanted.type):
            raise SchemaChangeError(
                f"{definition.identifier}.{wanted.name} is {have} in the catalog but the "
                f"definition says {wanted.type}; drop the table or migrate it by hand"
            )
    if table.spec().fields != definition.partition_spec.fields:
        raise SchemaChangeError(
            f"{definition.identifier} is partitioned as {table.spec()} in the catalog but the "
            f"definition says {definition.partition_spec}; drop the table and load it again"
        )
    promoted = [
        wanted.name
        for wanted in definition.schema
        if wanted.name in existing.names
        and existing.field(wanted.name).type != wanted.type
        and _widens(existing.field(wanted.name).type, wanted.type)
        and existing.field(wanted.name).type != pa.large_string()
    ]
    if added or promoted:
        with table.update_schema() as update:
            update.union_by_name(definition.schema)
    changed = {
        key: value for key, value in TABLE_PROPERTIES.items() if table.properties.get(key) != value
    }
    # format-version is upgraded with its own API, never by a property; our tables start at 2.
    changed.pop("format-version", None)
    if changed:
        with table.transaction() as transaction:
            transaction.set_properties(changed)
    if added or promoted or changed:
        table = catalog.load_table(definition.identifier)
    return table


def _widens(have: pa.DataType, wanted: pa.DataType) -> bool:
    """Iceberg's allowed promotions: int -> long, float -> double."""
    return (have, wanted) in {
        (pa.int32(), pa.int64()),
        (pa.float32(), pa.float64()),
        # Iceberg has one string type; Arrow may read it back as large_string.
        (pa.large_string(), pa.string()),
    }


def quarantine_table() -> BronzeTable:
    """`bronze.quarantine`: records of any input that could not be loaded."""
    return BronzeTable(QUARANTINE_TABLE, QUARANTINE_SCHEMA)


def definition_for(name: str) -> BronzeTable | None:
    """The definition of bronze table `name` (`fhir_<type>`, `omop_<cdm table>`, `quarantine`)."""
    if name == QUARANTINE_TABLE:
        return quarantine_table()
    if name.startswith("fhir_") and len(name) > len("fhir_"):
        return BronzeTable(name, FHIR_SCHEMA)
    if name.startswith("omop_") and name.removeprefix("omop_") in omop_spec.table_names():
        return omop_table(name.removeprefix("omop_"))
    return None
