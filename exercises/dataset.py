"""The fixed, seeded dataset every exercise runs on, built once and cached.

A few hundred patients from the project's generator (generators.output.generate), so answers
are the same on every machine and a build takes seconds:

- generated/: the first run (FHIR NDJSON + OMOP Parquet), more/: the next patients of the same
  population (a second load, for the Iceberg exercises);
- learn.duckdb: schema `omop` (the CDM tables of generated/), schema `bronze` (one table per FHIR
  resource type, `fhir_<type>` with resource_type, resource_id and resource_json, the shape of
  the Iceberg bronze tables) and schema `dq` (copies of OMOP tables with defects injected, for
  the quality track).

The folder is rebuilt when DATASET_VERSION, the size or the seed changes (stamp.json).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

from common.paths import warehouse_dir

# Raise it when what the dataset holds changes (a new table or defect), so caches are rebuilt.
DATASET_VERSION = "1"
PATIENTS = 300
MORE_PATIENTS = 100
SEED = 7
# A multiple of it is needed to draw the next patients (continue_after).
BATCH_SIZE = 100


def learn_dir() -> Path:
    """Where the runner keeps its state: $HEALTHLAKE_WAREHOUSE/learn (git-ignored)."""
    return warehouse_dir() / "learn"


@dataclass(frozen=True)
class Dataset:
    """The built dataset's folder and the paths in it."""

    root: Path

    @property
    def generated(self) -> Path:
        """The first run: FHIR NDJSON (fhir/) and OMOP Parquet (omop/)."""
        return self.root / "generated"

    @property
    def more(self) -> Path:
        """The next patients of the same population: a second run to load."""
        return self.root / "more"

    @property
    def database(self) -> Path:
        """learn.duckdb: schemas omop, bronze and dq."""
        return self.root / "learn.duckdb"

    @property
    def cache(self) -> Path:
        """Expected results of reference solutions that take a while to compute (dbt builds)."""
        return self.root / "expected"


def _stamp() -> dict[str, object]:
    return {"version": DATASET_VERSION, "patients": PATIENTS, "more": MORE_PATIENTS, "seed": SEED}


def ensure_dataset(root: Path | None = None) -> Dataset:
    """The dataset under `root` (default: warehouse/learn/dataset), built if it is missing or
    was built by another version of this module."""
    dataset = Dataset(root or learn_dir() / "dataset")
    stamp = dataset.root / "stamp.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == _stamp():
        return dataset
    dataset.root.parent.mkdir(parents=True, exist_ok=True)
    # Built beside, then moved into place: a killed build leaves no half dataset behind.
    staging = Path(tempfile.mkdtemp(prefix=".dataset-", dir=dataset.root.parent))
    try:
        _build(Dataset(staging))
        (staging / "stamp.json").write_text(json.dumps(_stamp()))
        shutil.rmtree(dataset.root, ignore_errors=True)
        staging.rename(dataset.root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dataset


def _build(dataset: Dataset) -> None:
    # Imported here: listing and showing exercises (which read learn_dir) stay light.
    import duckdb

    from generators.config import GeneratorConfig
    from generators.output import continue_after, generate

    config = GeneratorConfig(patients=PATIENTS, seed=SEED, batch_size=BATCH_SIZE)
    generate(config, dataset.generated)
    more_config, start = continue_after(
        dataset.generated,
        GeneratorConfig(patients=MORE_PATIENTS, seed=SEED, batch_size=BATCH_SIZE),
        dataset.more,
        seed_given=True,
        reference_date_given=False,
    )
    generate(more_config, dataset.more, start=start)
    with duckdb.connect(str(dataset.database)) as con:
        con.execute("create schema omop")
        for parquet in sorted((dataset.generated / "omop").glob("*.parquet")):
            con.execute(
                f"create table omop.{parquet.stem} as select * from read_parquet(?)",
                [str(parquet)],
            )
        con.execute("create schema bronze")
        for ndjson in sorted((dataset.generated / "fhir").glob("*.ndjson")):
            table = "fhir_" + _snake(ndjson.stem)
            # One line is one resource; read as text so the JSON stays as bronze keeps it.
            con.execute(
                f"create table bronze.{table} as select "
                "json_extract_string(line, '$.resourceType') as resource_type, "
                "json_extract_string(line, '$.id') as resource_id, "
                "line as resource_json "
                "from read_csv(?, columns = {'line': 'varchar'}, delim = '\x01', quote = '', "
                "escape = '', header = false)",
                [str(ndjson)],
            )
        _inject_defects(con)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _inject_defects(con: duckdb.DuckDBPyConnection) -> None:
    """Copies of OMOP tables with defects the quality track asks the learner to find. The
    affected rows are chosen by id arithmetic, so they are the same on every build."""
    con.execute("create schema dq")
    # Duplicates: a reload that appended some people a second (or third) time.
    con.execute(
        "create table dq.person as select * from omop.person "
        "union all select * from omop.person where person_id % 41 = 3 "
        "union all select * from omop.person where person_id % 82 = 3"
    )
    # Orphans: visits whose person_id was shifted, so no person has it.
    con.execute(
        "create table dq.visit_occurrence as select * replace ("
        "case when visit_occurrence_id % 53 = 0 then person_id + 1000000 else person_id end "
        "as person_id) from omop.visit_occurrence"
    )
    # Implausible values: some results written in the wrong unit (times 10 or 100).
    con.execute(
        "create table dq.measurement as select * replace ("
        "case when measurement_id % 97 = 5 then value_as_number * 10 "
        "when measurement_id % 89 = 7 then value_as_number * 100 "
        "else value_as_number end as value_as_number) from omop.measurement"
    )
    con.execute(
        "create table dq.plausible_range as select * from (values "
        "(3004249, 'systolic blood pressure', 50.0, 250.0), "
        "(3012888, 'diastolic blood pressure', 30.0, 150.0), "
        "(3025315, 'body weight', 1.0, 300.0), "
        "(3038553, 'body mass index', 10.0, 80.0), "
        "(3009966, 'glucose', 20.0, 1000.0), "
        "(3004410, 'HbA1c', 3.0, 20.0), "
        "(3027114, 'total cholesterol', 50.0, 500.0), "
        "(3016723, 'creatinine', 0.1, 20.0), "
        "(3027018, 'heart rate', 20.0, 250.0), "
        "(3036277, 'body height', 30.0, 250.0), "
        "(3011505, 'FEV1/FVC ratio', 10.0, 100.0)"
        ") as t(measurement_concept_id, measurement, low, high)"
    )
