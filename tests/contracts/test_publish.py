"""The policies enforced on DuckDB, on a real small lakehouse: each role's published file holds
only its tables, no PHI value of the source reaches a non-privileged role (and the check finds
the leak when a mask is removed), the regional role sees only its states, and every role's rows
equal what its Athena SQL returns offline."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from contracts.access import role_access
from contracts.model import contract_paths, load
from contracts.parity import role_parity
from contracts.policies import POLICIES_PATH, load_policies
from contracts.publish import LOCAL_SALT_FILE, publish
from tests.conftest import JUST, REPO_ROOT, one_line_error, pipeline_env, python_module, run

# Real-world-shaped exports beside the generated population: street address lines, MRNs,
# practitioner names and identifiers that the generator does not write.
FIXTURE_FHIR = [
    REPO_ROOT / "tests" / "fixtures" / "fhir" / "export_like",
    REPO_ROOT / "tests" / "fixtures" / "fhir" / "synthea_like",
]
NON_PRIVILEGED = ("analyst", "regional_analyst")
REGIONAL_STATES = {"CA", "OR", "WA"}


@dataclass(frozen=True)
class Lakehouse:
    """A built lakehouse, the environment it was built with, its published role files."""

    path: Path
    env: dict[str, str]
    published: Path


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    """200 generated patients and the fixture exports, built and published once (~1 min)."""
    root = tmp_path_factory.mktemp("governance")
    env = pipeline_env(root, "governance")
    for step in (
        ["generate", "200", "7"],
        ["load"],
        ["ingest-fhir", *map(str, FIXTURE_FHIR)],
        ["build"],
        ["publish"],
    ):
        result = run([*JUST, *step], env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    warehouse = Path(env["HEALTHLAKE_WAREHOUSE"])
    return Lakehouse(warehouse / "lakehouse.duckdb", env, warehouse / "published")


def _texts(value: object) -> Iterator[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


@dataclass(frozen=True)
class SourcePhi:
    """The direct identifiers of the source. `values` are found as a whole value; `ids` also
    inside a longer text (a reference such as `Patient/<id>`). Names are not looked for inside
    texts: a given name is also a city's (Charlotte), and care sites are named after cities."""

    values: frozenset[str]
    ids: frozenset[str]


def source_phi(lakehouse: Path) -> SourcePhi:
    """The direct identifiers of the source, from the bronze Patient and Practitioner
    resources the lakehouse was built from: names (each part and as written together), exact
    birth dates, street address lines, phone numbers, resource ids and identifier values."""
    with duckdb.connect(str(lakehouse), read_only=True) as conn:
        resources = [
            json.loads(row[0])
            for table in ("fhir_patient", "fhir_practitioner")
            for row in conn.table(f"bronze.{table}").select("resource_json").fetchall()
        ]
    values: set[str] = set()
    ids: set[str] = set()
    for resource in resources:
        ids.add(resource["id"])
        for name in resource.get("name", []):
            parts = [*name.get("given", []), name.get("family", "")]
            values.update(part for part in parts if part)
            values.add(" ".join(part for part in parts if part))
        # Exact dates only: a birth date given as a year alone is what the masks leave.
        if len(resource.get("birthDate", "")) == len("1970-01-01"):
            values.add(resource["birthDate"])
        for address in resource.get("address", []):
            values.update(address.get("line", []))
        for telecom in resource.get("telecom", []):
            values.update(_texts(telecom.get("value")))
        for identifier in resource.get("identifier", []):
            value = identifier.get("value", "")
            # The OMOP person id the generator puts in an identifier is a small integer, as
            # are counts and concept ids everywhere: as a value it identifies nothing.
            if not value.isdigit():
                ids.add(value)
    return SourcePhi(frozenset(values | ids), frozenset(ids))


def phi_leaks(role_file: Path, phi: SourcePhi) -> list[str]:
    """`schema.table.column: value` for source PHI found in any column of any table of
    `role_file` (each value cast to text; whole, or an id inside a longer text)."""
    leaks = []
    with duckdb.connect(str(role_file), read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        for schema, table in tables:
            relation = conn.table(f'"{schema}"."{table}"')
            for column in relation.columns:
                texts = {
                    row[0]
                    for row in relation.select(
                        duckdb.ColumnExpression(column).cast("VARCHAR").alias("v")
                    )
                    .distinct()
                    .fetchall()
                    if row[0] is not None
                }
                found = sorted(texts & phi.values) or sorted(
                    text for text in texts for value in phi.ids if len(value) >= 6 and value in text
                )
                leaks += [f"{schema}.{table}.{column}: {value}" for value in found[:3]]
    return leaks


def test_every_role_file_holds_only_the_tables_it_may_read(lakehouse: Lakehouse) -> None:
    policies = load_policies()
    contracts = [load(path) for path in contract_paths()]
    for name, role in policies.roles.items():
        role_file = lakehouse.published / f"{name}.duckdb"
        expected = {(t.schema, t.table) for t in role_access(role, contracts)}
        with duckdb.connect(str(role_file), read_only=True) as conn:
            held = conn.execute(
                "select table_schema, table_name, table_type from information_schema.tables"
            ).fetchall()
            views = conn.execute(
                "select count(*) from duckdb_views() where not internal"
            ).fetchall()
            databases = conn.execute(
                "select database_name from duckdb_databases() where not internal"
            ).fetchall()
        assert views == [(0,)]
        assert databases == [(name,)]
        assert {(schema, table) for schema, table, _ in held} == expected
        assert {kind for *_, kind in held} == {"BASE TABLE"}
        # Nothing in the file names the lakehouse it was copied from.
        assert str(lakehouse.path).encode() not in role_file.read_bytes()
    assert not list(lakehouse.published.glob(".*"))


def test_no_phi_value_of_the_source_reaches_a_non_privileged_role(lakehouse: Lakehouse) -> None:
    phi = source_phi(lakehouse.path)
    # A street address line and an MRN of the export_like fixture.
    assert "12 Elm St" in phi.values
    assert "MRN-1" in phi.ids
    # The privileged file holds them: the check sees PHI where it is.
    privileged = phi_leaks(lakehouse.published / "clinician_researcher.duckdb", phi)
    assert any(leak.startswith("gold.dim_patient.given_name:") for leak in privileged)
    assert any(leak.startswith("omop.person.person_source_value:") for leak in privileged)
    for role in NON_PRIVILEGED:
        assert phi_leaks(lakehouse.published / f"{role}.duckdb", phi) == [], role


def test_removing_one_mask_rule_leaks_and_the_check_finds_it(
    lakehouse: Lakehouse, tmp_path: Path
) -> None:
    document = yaml.safe_load(POLICIES_PATH.read_text())
    document["roles"]["analyst"]["classifications"].pop("phi")
    weakened = tmp_path / "policies.yml"
    weakened.write_text(yaml.safe_dump(document, sort_keys=False))
    (published,) = publish(
        ["analyst"], weakened, source_path=lakehouse.path, out_dir=tmp_path / "published"
    )
    leaks = phi_leaks(published.path, source_phi(lakehouse.path))
    assert any(leak.startswith("gold.dim_patient.family_name:") for leak in leaks), leaks
    assert any(leak.startswith("omop.person.person_source_value:") for leak in leaks), leaks


def test_the_regional_role_sees_only_the_rows_of_its_states(lakehouse: Lakehouse) -> None:
    regional = lakehouse.published / "regional_analyst.duckdb"
    with duckdb.connect(str(lakehouse.path), read_only=True) as conn:
        source_states = conn.execute(
            "select address_state, count(*) from gold.dim_patient group by all"
        ).fetchall()
    with duckdb.connect(str(regional), read_only=True) as conn:
        for table, column in [
            ("gold.dim_patient", "address_state"),
            ("omop.location", "state"),
            ("gold.agg_condition_prevalence", "state"),
        ]:
            states = {row[0] for row in conn.table(table).select(column).distinct().fetchall()}
            assert states and states <= REGIONAL_STATES, (table, states)
        published_states = conn.execute(
            "select address_state, count(*) from gold.dim_patient group by all"
        ).fetchall()
    assert sorted(published_states) == sorted(
        (state, count) for state, count in source_states if state in REGIONAL_STATES
    )
    assert len({state for state, _ in source_states}) > len(REGIONAL_STATES)


def test_hashed_ids_join_across_tables_and_follow_the_salt(lakehouse: Lakehouse) -> None:
    salt_file = lakehouse.path.parent / LOCAL_SALT_FILE
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    analyst = lakehouse.published / "analyst.duckdb"
    query = "select person_id from gold.dim_patient except select person_id from omop.person"
    with duckdb.connect(str(analyst), read_only=True) as conn:
        assert conn.execute(query).fetchall() == []
        hashed = {row[0] for row in conn.execute("select person_id from omop.person").fetchall()}
    assert all(len(value) == 64 for value in hashed)
    env = {**lakehouse.env, "HEALTHLAKE_MASKING_SALT": "another secret"}
    result = python_module("contracts", "publish", "analyst", env=env)
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(analyst), read_only=True) as conn:
        rehashed = {row[0] for row in conn.execute("select person_id from omop.person").fetchall()}
    assert rehashed.isdisjoint(hashed)
    assert len(rehashed) == len(hashed)
    written = analyst.stat().st_mtime_ns
    empty = python_module(
        "contracts", "publish", "analyst", env={**env, "HEALTHLAKE_MASKING_SALT": ""}
    )
    one_line_error(empty, "HEALTHLAKE_MASKING_SALT is set but empty")
    assert analyst.stat().st_mtime_ns == written


def test_every_role_sees_on_duckdb_what_its_athena_sql_returns(lakehouse: Lakehouse) -> None:
    policies = load_policies()
    contracts = [load(path) for path in contract_paths()]
    published = publish([], source_path=lakehouse.path, out_dir=lakehouse.published)
    verdicts = role_parity(policies, contracts, lakehouse.path, published)
    assert [v for v in verdicts if not v.passed] == []
    assert len(verdicts) == sum(len(role_access(r, contracts)) for r in policies.roles.values())
    with duckdb.connect(str(lakehouse.published / "analyst.duckdb"), read_only=True) as conn:
        assert "address_1" not in conn.table("omop.location").columns


def test_an_unknown_role_is_one_line_and_publishes_nothing(lakehouse: Lakehouse) -> None:
    before = {path: path.stat().st_mtime_ns for path in lakehouse.published.iterdir()}
    result = run([*JUST, "publish", "analyst", "nurse"], env=lakehouse.env)
    one_line_error(result, "unknown role 'nurse'", "analyst")
    assert {path: path.stat().st_mtime_ns for path in lakehouse.published.iterdir()} == before
    access = run([*JUST, "access", "nurse"], env=lakehouse.env)
    one_line_error(access, "unknown role 'nurse'")


def test_publish_without_a_lakehouse_is_one_line(tmp_path: Path) -> None:
    result = python_module("contracts", "publish", env={"HEALTHLAKE_WAREHOUSE": str(tmp_path)})
    one_line_error(result, "no lakehouse at", "run 'just build' first")
    assert not (tmp_path / "published").exists()


def test_access_prints_tables_columns_masks_and_the_row_filter() -> None:
    result = run([*JUST, "access", "regional_analyst"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("row filter: rows of CA, OR, WA only")
    assert any(line.startswith("omop.location (omop_cdm):") for line in lines)
    assert not any(line.startswith("omop.person ") for line in lines)
    assert any(line.split() == ["address_1", "phi", "remove"] for line in lines)
    assert any(line.split() == ["birth_date", "phi", "year"] for line in lines)
    privileged = run([*JUST, "access", "clinician_researcher"])
    assert privileged.stdout.splitlines()[1:3] == [
        "masks: none (every column as it is)",
        "row filter: none (every row)",
    ]
    analyst = run([*JUST, "access", "analyst"])
    assert "row filter: none" in analyst.stdout
    assert "omop.person (omop_cdm): 18 of 18 columns" in analyst.stdout
