"""The OMOP CDM v5.4 field specification, as the one source of column names, order and types.

Generators, bronze table definitions and the tests that check dbt model contracts all read the
spec from here, so a column can only be spelled one way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa

SPEC_FILE = Path(__file__).parent / "reference" / "omop_cdm_v5.4_fields.csv"


@dataclass(frozen=True)
class CdmField:
    """One column of an OMOP CDM v5.4 table."""

    table_name: str
    field_name: str
    is_required: bool
    cdm_datatype: str
    is_primary_key: bool
    fk_table_name: str | None
    fk_field_name: str | None
    fk_domain: str | None

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type that carries this CDM datatype without loss."""
        return _arrow_type(self.cdm_datatype)

    @property
    def sql_type(self) -> str:
        """The portable SQL type name (DuckDB and Trino both accept it) for dbt contracts."""
        return _sql_type(self.cdm_datatype)


def _arrow_type(cdm_datatype: str) -> pa.DataType:
    if cdm_datatype == "integer":
        return pa.int32()
    if cdm_datatype == "bigint":
        return pa.int64()
    if cdm_datatype == "float":
        # CDM 'float' is SQL Server's float, an 8-byte double.
        return pa.float64()
    if cdm_datatype == "date":
        return pa.date32()
    if cdm_datatype == "datetime":
        return pa.timestamp("us")
    if cdm_datatype.startswith("varchar"):
        return pa.string()
    raise ValueError(f"unknown CDM datatype {cdm_datatype!r} in {SPEC_FILE}")


def _sql_type(cdm_datatype: str) -> str:
    if cdm_datatype.startswith("varchar"):
        return "varchar"
    return {
        "integer": "integer",
        "bigint": "bigint",
        "float": "double",
        "date": "date",
        "datetime": "timestamp",
    }[cdm_datatype]


@cache
def _all_fields() -> tuple[CdmField, ...]:
    with SPEC_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            CdmField(
                table_name=row["table_name"],
                field_name=row["field_name"],
                is_required=row["is_required"] == "yes",
                cdm_datatype=row["cdm_datatype"],
                is_primary_key=row["is_primary_key"] == "yes",
                fk_table_name=row["fk_table_name"] or None,
                fk_field_name=row["fk_field_name"] or None,
                fk_domain=row["fk_domain"] or None,
            )
            for row in csv.DictReader(handle)
        )


def table_names() -> list[str]:
    """Every CDM v5.4 table name, in spec order."""
    return list(dict.fromkeys(field.table_name for field in _all_fields()))


def fields(table_name: str) -> list[CdmField]:
    """The columns of one CDM table, in spec order.

    Raises:
        KeyError: if the table is not part of CDM v5.4.
    """
    found = [field for field in _all_fields() if field.table_name == table_name]
    if not found:
        raise KeyError(f"{table_name!r} is not an OMOP CDM v5.4 table (see {SPEC_FILE})")
    return found


def arrow_schema(table_name: str) -> pa.Schema:
    """The Arrow schema of a CDM table: spec names, order and types; required means not null."""
    return pa.schema(
        [
            pa.field(field.field_name, field.arrow_type, nullable=not field.is_required)
            for field in fields(table_name)
        ]
    )
