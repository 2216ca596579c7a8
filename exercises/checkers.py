"""Checking an exercise: run the learner's work and the reference solution, compare results.

Each kind of exercise has an evaluator that turns a folder of edited files into a `Result` (and
raises `WorkProblem` when the work cannot give one: a query that fails, a failing dbt test, a
missing requirement). The expected result is the reference solution's, evaluated the same way
and cached under the dataset's expected/ folder by the hash of the exercise folder, so nothing
readable in the learner's files holds the answer and a slow evaluation (dbt) runs once.

Kinds (exercise.toml `kind`):
- sql: a DuckDB query (the first file of `edit`) over learn.duckdb (schemas omop, bronze, dq),
  with the exercise's named `parameters` bound (a salt: never in SQL text), and, when the
  exercise names `phi` (a query of source values), none of those values in any column;
- classification: a YAML file classifying columns (table: {column: phi | pii | internal |
  public}, as contracts/model.py defines them), compared column by column;
- portable-sql: the same, and it must be Athena (Trino) SQL too: parsed with sqlglot's Athena
  dialect, no DuckDB-only syntax, and the query transpiled to DuckDB (as `just parity` runs
  Athena SQL offline) returns the same rows as the query run as it is;
- view: a SQL-on-FHIR ViewDefinition run by the views package over the FHIR NDJSON;
- dbt: a small dbt project, built with the project's dbt on a copy of the tables it reads; its
  tests must pass, required tests and settings must be there, and one relation is compared;
- python: a function of the learner's, given a fresh Iceberg bronze catalog (two loads of the
  dataset); what it returns, or what an observer sees in the catalog afterwards, is compared.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import TokenType

from common.errors import HealthlakeError
from exercises import compare
from exercises.catalog import Exercise
from exercises.compare import Result
from exercises.dataset import DATASET_VERSION, Dataset
from exercises.exceptions import ExerciseSpecError
from exercises.workspace import materialize

# Raise it when an evaluator changes what it returns, so cached expected results are rebuilt.
CHECKER_VERSION = "1"
DBT = str(Path(sys.executable).parent / "dbt")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class WorkProblem(Exception):  # noqa: N818 - a finding about the learner's work, not a fault
    """The learner's work gives no result to compare: the messages say why."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def check(exercise: Exercise, work: Path, dataset: Dataset) -> list[str]:
    """What is wrong with the work in `work`; [] when it passes."""
    expected = expected_result(exercise, dataset)
    try:
        actual = evaluate(exercise, work, dataset)
    except WorkProblem as problem:
        return problem.problems
    return compare.differences(
        expected,
        actual,
        ordered=bool(exercise.check.get("ordered")),
        key=exercise.check.get("key"),
    )


def evaluate(exercise: Exercise, folder: Path, dataset: Dataset) -> Result:
    """The result of the work in `folder`.

    Raises:
        WorkProblem: the work gives no result (the messages say why).
    """
    evaluator = _EVALUATORS[exercise.kind]
    missing = [name for name in exercise.edit if not (folder / name).is_file()]
    if missing:
        raise WorkProblem(
            f"{', '.join(missing)} missing from {folder}; `just learn show {exercise.id}` "
            "copies the starter files again"
        )
    return evaluator(exercise, folder, dataset)


def _exercise_hash(exercise: Exercise) -> str:
    digest = hashlib.sha256(f"{DATASET_VERSION}/{CHECKER_VERSION}".encode())
    for path in sorted(p for p in exercise.folder.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(exercise.folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def expected_result(exercise: Exercise, dataset: Dataset) -> Result:
    """The reference solution's result, from the cache or evaluated now.

    Raises:
        ExerciseSpecError: the reference solution itself gives no result (an authoring bug).
    """
    cached = dataset.cache / f"{exercise.id}-{_exercise_hash(exercise)}.json"
    if cached.is_file():
        return Result.from_json(cached.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="healthlake-learn-solution-") as tmp:
        folder = materialize(exercise, Path(tmp) / exercise.id, solved=True)
        try:
            result = evaluate(exercise, folder, dataset)
        except WorkProblem as problem:
            raise ExerciseSpecError(
                f"{exercise.folder}: the reference solution does not pass: {problem}"
            ) from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed: two checks at once never read half a file.
    partial = cached.with_name(f".{cached.name}.{uuid.uuid4().hex}")
    partial.write_text(result.to_json(), encoding="utf-8")
    partial.replace(cached)
    return result


# --- SQL ---------------------------------------------------------------------------------------


def _query_text(exercise: Exercise, folder: Path) -> tuple[str, str]:
    name = exercise.edit[0]
    text = (folder / name).read_text(encoding="utf-8")
    if not text.strip():
        raise WorkProblem(f"{name} is empty: write your query in it")
    return name, text


def _run_query(
    con: duckdb.DuckDBPyConnection,
    name: str,
    text: str,
    parameters: dict[str, str] | None = None,
) -> Result:
    try:
        # Only the parameters the query names: DuckDB refuses a value for one it does not use.
        statements = con.extract_statements(text)
        named = {name for statement in statements for name in statement.named_parameters}
        bound = {name: value for name, value in (parameters or {}).items() if name in named}
        relation = con.sql(text, params=bound or None)
        if relation is None:
            raise WorkProblem(f"{name} holds no query that returns rows: end it with a select")
        return compare.from_relation(relation)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WorkProblem(f"{name}: your query failed: {first}") from None


def _evaluate_sql(exercise: Exercise, folder: Path, dataset: Dataset) -> Result:
    name, text = _query_text(exercise, folder)
    parameters = {n: str(v) for n, v in exercise.check.get("parameters", {}).items()}
    with duckdb.connect(str(dataset.database), read_only=True) as con:
        result = _run_query(con, name, text, parameters)
        phi = exercise.check.get("phi")
        if phi:
            leaks = compare.shared_values(result, _source_values(exercise, con, str(phi)))
            if leaks:
                raise WorkProblem(
                    *(
                        f"column {column} of your result holds {' and '.join(found)} values of "
                        "the source (PHI): mask it as the task says"
                        for column, found in leaks.items()
                    )
                )
        return result


def _source_values(exercise: Exercise, con: duckdb.DuckDBPyConnection, query: str) -> Result:
    """The source values no column of the result may hold (the exercise's `phi` query)."""
    try:
        return compare.from_relation(con.sql(query))
    except duckdb.Error as error:
        raise ExerciseSpecError(
            f"{exercise.folder / 'exercise.toml'}: its phi query failed: {error}"
        ) from None


def _not_athena(name: str, text: str) -> list[str]:
    """Why `text` is not Athena SQL, as far as sqlglot's Athena dialect can tell."""
    try:
        tokens = sqlglot.tokenize(text, read="athena")
        tree = sqlglot.parse_one(text, read="athena")
    except (ParseError, sqlglot.errors.TokenError) as error:
        first = str(error).splitlines()[0]
        return [f"{name} does not parse as Athena (Trino) SQL: {first}"]
    problems = []
    if any(token.token_type == TokenType.DCOLON for token in tokens):
        problems.append(
            f"{name}: `x::type` is DuckDB (and PostgreSQL) syntax; Athena needs cast(x as type)"
        )
    unknown = sorted({node.name.lower() for node in tree.find_all(exp.Anonymous)})
    if unknown:
        verb = "is no function" if len(unknown) == 1 else "are no functions"
        problems.append(
            f"{name}: {', '.join(unknown)} {verb} of Athena (Trino); use one both engines have "
            "(docs/parity.md)"
        )
    if any(group.args.get("all") for group in tree.find_all(exp.Group)):
        problems.append(
            f"{name}: `group by all` is DuckDB only; Athena needs the grouped columns named "
            "(group by 1, 2)"
        )
    return problems


def _evaluate_portable_sql(exercise: Exercise, folder: Path, dataset: Dataset) -> Result:
    from lakehouse.athena_offline import athena_to_duckdb

    name, text = _query_text(exercise, folder)
    problems = _not_athena(name, text)
    if problems:
        raise WorkProblem(*problems)
    with duckdb.connect(str(dataset.database), read_only=True) as con:
        on_duckdb = _run_query(con, name, text)
        on_athena = _run_query(con, f"{name} (as Athena SQL)", athena_to_duckdb(text))
    different = compare.differences(on_duckdb, on_athena)
    if different:
        raise WorkProblem(f"{name} returns other rows as Athena SQL than on DuckDB: {different[0]}")
    return on_duckdb


# --- Classification ----------------------------------------------------------------------------


def _evaluate_classification(exercise: Exercise, folder: Path, dataset: Dataset) -> Result:
    """Rows (column, classification), one per `table.column` of the learner's YAML."""
    from contracts.model import CLASSIFICATIONS

    name = exercise.edit[0]
    try:
        document = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise WorkProblem(f"{name} is not YAML: {' '.join(str(error).split())}") from None
    if not isinstance(document, dict) or not all(
        isinstance(columns, dict) for columns in document.values()
    ):
        raise WorkProblem(
            f"{name} must map each table to its columns and each column to a classification "
            "(person: {person_id: phi}), as the starter file does"
        )
    allowed = ", ".join(CLASSIFICATIONS)
    rows, problems = [], []
    for table, columns in document.items():
        for column, classification in columns.items():
            rows.append((f"{table}.{column}", classification))
            if classification is None:
                problems.append(f"{name}: {table}.{column} has no classification yet ({allowed})")
            elif classification not in CLASSIFICATIONS:
                problems.append(
                    f"{name}: {table}.{column} is {classification!r}, which is none of {allowed}"
                )
    if problems:
        raise WorkProblem(*problems)
    return compare.from_rows(["column", "classification"], rows, ["text", "text"])


# --- SQL on FHIR ViewDefinitions ---------------------------------------------------------------


def _evaluate_view(exercise: Exercise, folder: Path, dataset: Dataset) -> Result:
    from views import definition, runner

    name = exercise.edit[0]
    try:
        view = definition.load(folder / name)
        with duckdb.connect() as con:
            runner.load_resources(con, [dataset.generated / "fhir"])
            _, relation = runner.run(con, view, "duckdb")
            try:
                return compare.from_relation(relation)
            except duckdb.Error as error:
                raise WorkProblem(
                    f"{name}: {runner.query_error_message(view, str(error))}"
                ) from None
    except HealthlakeError as error:
        raise WorkProblem(f"{name}: {error}") from None


# --- dbt ---------------------------------------------------------------------------------------


def _dbt(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            DBT,
            "--no-use-colors",
            "--no-send-anonymous-usage-stats",
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "DBT_TARGET_PATH": str(project / "target"),
            "DBT_LOG_PATH": str(project / "logs"),
            "DO_NOT_TRACK": "1",
        },
    )


def _dbt_output_problem(result: subprocess.CompletedProcess[str], what: str) -> str:
    lines = [_ANSI.sub("", line).strip() for line in (result.stdout + result.stderr).splitlines()]
    lines = [re.sub(r"^\d\d:\d\d:\d\d\s+", "", line) for line in lines if line]
    errors = [line for line in lines if "error" in line.lower() and "Completed with" not in line]
    detail = next(
        (line for line in errors if not line.lower().startswith("encountered an error")),
        errors[0] if errors else (lines[-1] if lines else "no output"),
    )
    return f"dbt {what} failed: {detail}"


def _run_results_problems(project: Path) -> list[str]:
    path = project / "target" / "run_results.json"
    if not path.is_file():
        return []
    problems = []
    for result in json.loads(path.read_text())["results"]:
        status, node = result["status"], result["unique_id"]
        # test.<project>.<name>.<hash>, unit_test.<project>.<model>.<name>, model.<project>.<name>
        parts = node.split(".")
        kind, name = parts[0], parts[2] if parts[0] == "test" else parts[-1]
        if status in ("error", "fail"):
            message = (result.get("message") or "").strip().splitlines()
            if kind == "test" and status == "fail":
                failures = result.get("failures")
                problems.append(f"dbt test {name} failed ({failures} failing rows)")
            elif kind == "unit_test":
                problems.append(f"dbt unit test {name} failed: {message[0] if message else ''}")
            else:
                problems.append(f"dbt {kind} {name}: {message[0] if message else status}")
    return problems


def _build(project: Path, *args: str) -> None:
    result = _dbt(project, "build", *args)
    if result.returncode != 0:
        problems = _run_results_problems(project)
        raise WorkProblem(*(problems or [_dbt_output_problem(result, "build")]))


def _manifest(project: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((project / "target" / "manifest.json").read_text())
    return manifest


def _required_tests(manifest: dict[str, Any], required: list[str]) -> list[str]:
    """Each `model.column: test` of `required` that no data test of the project is."""
    present = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        attached = (node.get("attached_node") or "").split(".")[-1]
        present.add(f"{attached}.{node.get('column_name')}: {node['test_metadata']['name']}")
    missing = [spec.split(": ") for spec in required if spec not in present]
    return [
        f"add a {test} test on {column} (data_tests: in the model's yml)"
        for column, test in missing
    ]


def _model_node(manifest: dict[str, Any], model: str) -> dict[str, Any]:
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"] == model:
            return dict(node)
    raise WorkProblem(f"there is no model {model}: the task asks for models/.../{model}.sql")


def _profiles(project: Path, database: Path) -> None:
    profile = {
        "learner": {
            "target": "duckdb",
            "outputs": {
                "duckdb": {"type": "duckdb", "path": str(database), "schema": "main", "threads": 1},
                # Compiles without AWS: `dbt compile --no-populate-cache` never connects.
                "athena": {
                    "type": "athena",
                    "region_name": "us-east-1",
                    "s3_staging_dir": "s3://learn/staging/",
                    "database": "awsdatacatalog",
                    "schema": "main",
                },
            },
        }
    }
    (project / "profiles.yml").write_text(json.dumps(profile, indent=2))


def _copy_tables(
    dataset: Dataset, database: Path, tables: list[str], filters: dict[str, str]
) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute("attach ? as learn (read_only)", [str(dataset.database)])
        con.execute("create schema omop")
        for table in tables:
            where = filters.get(table, "true")
            con.execute(
                f"create table omop.{table} as select * from learn.omop.{table} where {where}"
            )


@contextmanager
def _dbt_project(
    folder: Path, dataset: Dataset, tables: list[str], filters: dict[str, str]
) -> Iterator[Path]:
    """A copy of the learner's project (their folder stays clean of target/ and logs/) with a
    profile onto a fresh DuckDB file holding copies of the OMOP tables it reads."""
    with tempfile.TemporaryDirectory(prefix="healthlake-learn-dbt-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(folder, project, ignore=shutil.ignore_patterns("target", "logs"))
        database = Path(tmp) / "learner.duckdb"
        _copy_tables(dataset, database, tables, filters)
        _profiles(project, database)
        yield project


def _evaluate_dbt(exercise: Exercise, folder: Path, dataset: Dataset) -> Result:
    spec = exercise.check
    tables = list(spec["tables"])
    incremental = spec.get("incremental")
    filters = {incremental["table"]: incremental["first_build"]} if incremental else {}
    model = str(spec["model"])
    with _dbt_project(folder, dataset, tables, filters) as project:
        _build(project)
        manifest = _manifest(project)
        node = _model_node(manifest, model)
        problems = _required_tests(manifest, list(spec.get("tests", [])))
        materialized = spec.get("materialized")
        if materialized and node["config"]["materialized"] != materialized:
            problems.append(
                f"model {model} is materialized as {node['config']['materialized']}; "
                f"make it {materialized} (its config block)"
            )
        if spec.get("unit_test"):
            problems += _unit_test_problems(project, manifest, model, spec)
        if problems:
            raise WorkProblem(*problems)
        if incremental:
            _add_the_rest(project, dataset, incremental)
            _build(project)
        with duckdb.connect(str(project.parent / "learner.duckdb"), read_only=True) as con:
            return _run_query(con, f"model {model}", f"select * from main.{model}")


def _add_the_rest(project: Path, dataset: Dataset, incremental: dict[str, str]) -> None:
    """New source rows arrive: the ones the first build did not see."""
    table = incremental["table"]
    with duckdb.connect(str(project.parent / "learner.duckdb")) as con:
        con.execute("attach ? as learn (read_only)", [str(dataset.database)])
        con.execute(
            f"insert into omop.{table} select * from learn.omop.{table} "
            f"where not ({incremental['first_build']})"
        )


def _unit_test_problems(
    project: Path, manifest: dict[str, Any], model: str, spec: dict[str, Any]
) -> list[str]:
    """The model needs a unit test, and it must fail on a broken version of the model."""
    tests = [
        test
        for test in manifest.get("unit_tests", {}).values()
        if f"model.learner.{model}" in test.get("depends_on", {}).get("nodes", [])
    ]
    if not tests:
        return [
            f"write a unit test of {model} (unit_tests: in its yml, with given and expect rows)"
        ]
    model_file = project / _model_node(manifest, model)["original_file_path"]
    model_file.write_text(str(spec["mutant"]))
    result = _dbt(project, "test", "--select", f"{model},test_type:unit")
    if result.returncode == 0:
        return [
            f"your unit test of {model} also passes on a broken {model} ({spec['mutant_is']}); "
            "give it input rows where that mistake changes the output"
        ]
    return []


def _athena_sql(project: Path, model: str) -> str:
    result = _dbt(
        project, "compile", "--no-populate-cache", "--target", "athena", "--select", model
    )
    compiled = next((project / "target" / "compiled").rglob(f"{model}.sql"), None)
    if result.returncode != 0 or compiled is None:
        raise WorkProblem(_dbt_output_problem(result, "compile --target athena"))
    return compiled.read_text()


def _evaluate_dbt_parity(exercise: Exercise, folder: Path, dataset: Dataset) -> Result:
    """A dbt model that must be the same on DuckDB and on Athena (transpiled), as `just
    parity` proves it for the project's models."""
    from lakehouse.athena_offline import athena_to_duckdb

    spec = exercise.check
    model = str(spec["model"])
    with _dbt_project(folder, dataset, list(spec["tables"]), {}) as project:
        # Athena first: SQL that is not Athena's is the usual finding, and it needs no build.
        athena = _athena_sql(project, model)
        problems = _not_athena(f"model {model} compiled for Athena", athena)
        if problems:
            raise WorkProblem(*problems)
        _build(project)
        with duckdb.connect(str(project.parent / "learner.duckdb"), read_only=True) as con:
            native = _run_query(con, f"model {model}", f"select * from main.{model}")
            offline = _run_query(
                con, f"model {model} (compiled for Athena)", athena_to_duckdb(athena)
            )
    different = compare.differences(native, offline)
    if different:
        raise WorkProblem(
            f"model {model} returns other rows for Athena than on DuckDB: {different[0]}"
        )
    return native


# --- Python on Iceberg -------------------------------------------------------------------------


@contextmanager
def fresh_bronze(dataset: Dataset, setup: str) -> Iterator[Any]:
    """A new Iceberg bronze catalog in a temp warehouse: the dataset loaded as run learn-run-1,
    then its next patients as learn-run-2 (`two-runs`), or only their Patient and Encounter
    files, as a load stopped half way leaves bronze (`interrupted`)."""
    from iceberg.catalog import load_catalog
    from iceberg.loaders import load_fhir, load_generated

    before = os.environ.get("HEALTHLAKE_WAREHOUSE")
    with tempfile.TemporaryDirectory(prefix="healthlake-learn-iceberg-") as tmp:
        os.environ["HEALTHLAKE_WAREHOUSE"] = tmp
        try:
            catalog = load_catalog("local", create=True)
            load_generated(catalog, dataset.generated, "learn-run-1")
            if setup == "interrupted":
                fhir = dataset.more / "fhir"
                load_fhir(
                    catalog, [fhir / "Patient.ndjson", fhir / "Encounter.ndjson"], "learn-run-2"
                )
            else:
                load_generated(catalog, dataset.more, "learn-run-2")
            yield catalog
        finally:
            if before is None:
                os.environ.pop("HEALTHLAKE_WAREHOUSE", None)
            else:
                os.environ["HEALTHLAKE_WAREHOUSE"] = before


def _observe_maintenance(catalog: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    table = catalog.load_table("bronze.fhir_observation")
    files = len(list(table.scan().plan_files()))
    rows = table.scan().to_arrow().num_rows
    return ["snapshots", "data_files", "rows"], [(len(table.snapshots()), files, rows)]


def _observe_tables(catalog: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    rows = []
    for namespace, name in sorted(catalog.list_tables("bronze")):
        table = catalog.load_table(f"{namespace}.{name}")
        rows.append((f"{namespace}.{name}", table.scan().to_arrow().num_rows))
    return ["table", "rows"], rows


OBSERVERS: dict[str, Callable[[Any], tuple[list[str], list[tuple[Any, ...]]]]] = {
    "maintenance": _observe_maintenance,
    "tables": _observe_tables,
}


def _learner_function(path: Path, name: str) -> Callable[..., Any]:
    spec = importlib.util.spec_from_file_location(f"learner_{uuid.uuid4().hex}", path)
    if spec is None or spec.loader is None:
        raise WorkProblem(f"{path.name} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise WorkProblem(_raised(path, "importing it", error)) from None
    function = getattr(module, name, None)
    if not callable(function):
        raise WorkProblem(f"{path.name} defines no function {name}(); the task asks for one")
    return function


def _raised(path: Path, during: str, error: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
    where = f" (line {frames[-1].lineno})" if frames else ""
    return f"{path.name}: {during} raised {type(error).__name__}: {error}{where}"


def _evaluate_python(exercise: Exercise, folder: Path, dataset: Dataset) -> Result:
    spec = exercise.check
    path = folder / exercise.edit[0]
    function = _learner_function(path, str(spec["function"]))
    with fresh_bronze(dataset, str(spec.get("setup", "two-runs"))) as catalog:
        arguments = {"catalog": catalog, "second_run": dataset.more}
        try:
            returned = function(*[arguments[name] for name in spec.get("arguments", ["catalog"])])
        except Exception as error:
            raise WorkProblem(_raised(path, f"{spec['function']}()", error)) from None
        observer = spec.get("observe")
        if observer:
            columns, rows = OBSERVERS[str(observer)](catalog)
            return compare.from_rows(columns, rows)
    columns = list(spec["columns"])
    if not isinstance(returned, (list, tuple)) or not all(
        isinstance(row, (list, tuple)) and len(row) == len(columns) for row in returned
    ):
        raise WorkProblem(
            f"{spec['function']}() must return a list of rows, each a tuple of "
            f"{len(columns)} value(s) ({', '.join(columns)}); it returned {type(returned).__name__}"
            + (
                f" of {type(returned[0]).__name__}"
                if isinstance(returned, (list, tuple)) and returned
                else ""
            )
        )
    return compare.from_rows(columns, returned)


_EVALUATORS: dict[str, Callable[[Exercise, Path, Dataset], Result]] = {
    "sql": _evaluate_sql,
    "classification": _evaluate_classification,
    "portable-sql": _evaluate_portable_sql,
    "view": _evaluate_view,
    "dbt": lambda exercise, folder, dataset: (
        _evaluate_dbt_parity(exercise, folder, dataset)
        if exercise.check.get("parity")
        else _evaluate_dbt(exercise, folder, dataset)
    ),
    "python": _evaluate_python,
}
