"""`python -m lakehouse build [duckdb|trino|athena]`: dbt build; on DuckDB readers never see half a
build.

On DuckDB, dbt builds a working copy beside the published lakehouse
(`warehouse/.lakehouse.building.duckdb` next to `warehouse/lakehouse.duckdb`; dbt's profile opens
the file `HEALTHLAKE_LAKEHOUSE_PATH` names). Only a build whose every model and test passed is
published, by one `os.replace` of the working copy onto the lakehouse: atomic on POSIX, so a
reader opens either the last good build or the new one. A build that fails, is interrupted or is
killed leaves the published file exactly as the last good build left it; the next build removes
the working copy a killed one left behind.

Why a copy rather than swapping schemas inside the file: DuckDB (2.0) cannot move a table to
another schema (`ALTER TABLE ... SET SCHEMA` does not parse) nor rename a schema (`ALTER SCHEMA
... RENAME` is not supported), so a swap would copy every table anyway; and incremental models
and the bronze mirror need the previous build's state, which a copy of the whole file carries.
The price is a copy of the file per build and twice its size on disk while dbt runs.

On Trino and Athena there is no working copy: their Iceberg commits are per table, so a failed
build there leaves the tables built before the failure committed. On Trino, the bronze sources
the catalog lacks are first created empty from their definitions, as the DuckDB mirror does, so
a warehouse without (say) Procedure resources still builds every model.

dbt's own output streams to the terminal as it runs; this command adds one line at the end: all
passed, or which nodes failed (read from dbt's `run_results.json`, without importing dbt), or
that dbt was stopped.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType, TracebackType

import duckdb
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError

from common.paths import DBT_PROJECT_DIR, PROFILES_DIR, REPO_ROOT
from iceberg.catalog import BRONZE, load_catalog
from lakehouse.database import check_unlocked, lakehouse_path, set_aside_report
from lakehouse.exceptions import (
    BuildFailedError,
    LakehouseChangedError,
    LakehouseError,
    LakehouseLockedError,
)

TARGETS = ("duckdb", "trino", "athena")
# The file dbt's duckdb target opens (profiles/profiles.yml); unset, the published lakehouse.
LAKEHOUSE_PATH_VARIABLE = "HEALTHLAKE_LAKEHOUSE_PATH"
# What the athena profile reads from the environment; named before dbt fails on them.
ATHENA_SETTINGS = (
    "AWS_REGION",
    "HEALTHLAKE_ATHENA_S3_STAGING_DIR",
    "HEALTHLAKE_ATHENA_S3_DATA_DIR",
)
DBT_BUILD_FLAGS = (
    # dbt's console events as JSON lines, of which progress_line keeps what a person follows a
    # long build by: one line per model, seed and snapshot built (dbt's own), failing tests,
    # warnings and errors; passing tests are counted in dbt's closing line. The log file keeps
    # everything, as dbt writes it.
    "--log-format",
    "json",
    "--log-format-file",
    "debug",
    # A selector that selects nothing is a mistake, not a successful build of nothing.
    "--warn-error-options",
    '{"error": ["NoNodesForSelectionCriteria"]}',
)
# How long dbt gets to stop after the build is interrupted before it is killed.
STOP_GRACE_SECONDS = 10.0
# Failed nodes named in the error line; the rest are counted.
NAMES_SHOWN = 5
MIB = 1024 * 1024

Say = Callable[[str], None]


def build(target: str = "duckdb", say: Say = print, *, full_refresh: bool = False) -> None:
    """Run `dbt build` on `target`; on duckdb, publish the result only if everything passed.

    Args:
        target: `duckdb` (the local lakehouse), `trino` or `athena`.
        say: where progress lines go (stdout by default).
        full_refresh: rebuild the incremental models (FHIR staging) from all of bronze. On
            duckdb the build also does it by itself when the dbt project changed since the
            build it starts from (see `project_fingerprint`).

    Raises:
        BuildFailedError: dbt failed, was stopped, or the build was interrupted; the message is
            the one line to print, and `exit_code` the exit status.
        LakehouseError: the build could not start (unknown target, missing setting or
            catalog, lakehouse locked or changed during the build).
    """
    if target not in TARGETS:
        raise LakehouseError(f"unknown target {target!r}; use duckdb, trino or athena")
    if target == "trino":
        prepare_trino_bronze()
        with StopSignals() as stop:
            outcome = run_dbt_build(target, dict(os.environ), stop, full_refresh=full_refresh)
        outcome.raise_for_failure(
            "tables built before it stopped are committed (Iceberg commits are per table)"
        )
        say(outcome.success_line())
        return
    if target == "athena":
        missing = [name for name in ATHENA_SETTINGS if not os.environ.get(name)]
        if missing:
            raise LakehouseError(
                f"the athena target needs {missing[0]} (see docs/deploy-aws.md); export it and "
                "run again"
            )
        with StopSignals() as stop:
            outcome = run_dbt_build(target, dict(os.environ), stop, full_refresh=full_refresh)
        outcome.raise_for_failure(
            "tables built before it stopped are committed (Athena's Iceberg commits are per table)"
        )
        say(outcome.success_line())
        return
    # The mirror reads this catalog: say it is missing before copying anything.
    catalog = load_catalog(os.environ.get("HEALTHLAKE_CATALOG", "local"))
    published = lakehouse_path()
    check_unlocked(published)
    # Read before dbt starts: a load committing during the build makes the next one build.
    this_build = BuildRecord(
        project_fingerprint(), bronze_state(catalog), full_refresh=full_refresh
    )
    last = last_build(published)
    if last is not None and not full_refresh and last.same_inputs(this_build):
        say(
            f"nothing new since the build of {last.built_at:%Y-%m-%d %H:%M:%S} UTC"
            + (f" (run {last.pipeline_run_id})" if last.pipeline_run_id else "")
            + ": bronze and the dbt project are unchanged, so the lakehouse is up to date "
            "(--full-refresh builds it again)"
        )
        for line in set_aside_report(published):
            say(line)
        return
    if last is not None and not full_refresh and last.fingerprint != this_build.fingerprint:
        say(
            "full refresh: the dbt project (or dbt, DuckDB) changed since the last build, so "
            "the incremental models are rebuilt from all of bronze"
        )
        this_build = this_build.refreshed()
    elif last is None and published.exists() and not full_refresh:
        say("full refresh: the lakehouse does not record which dbt project built it")
        this_build = this_build.refreshed()
    unchanged = "the lakehouse is unchanged (last good build)"
    dbt_ran = False
    with StopSignals() as stop, WorkingCopy(published, say) as working:
        # A signal during the copy: dbt is not started, and leaving the block removes the copy.
        if stop.received is None:
            dbt_ran = True
            env = {**os.environ, LAKEHOUSE_PATH_VARIABLE: str(working.path)}
            outcome = run_dbt_build(target, env, stop, full_refresh=this_build.full_refresh)
            outcome.raise_for_failure(
                unchanged, on_interrupt=f"its working copy was removed; {unchanged}"
            )
            record_build(working.path, this_build)
            # A signal from here on is too late to matter: the build passed and publishing is
            # one rename.
            working.publish()
            say(outcome.success_line())
            # What the build could not use is part of its outcome, not a footnote in ops.
            for line in set_aside_report(published):
                say(line)
    if not dbt_ran and stop.received is not None:
        raise BuildFailedError(
            f"the build was interrupted ({signal.Signals(stop.received).name}) before dbt "
            f"started; its working copy was removed; {unchanged}",
            exit_code=128 + stop.received,
        )


# What decides the rows of the tables dbt builds: a change here since the build a working copy
# started from means its incremental tables were built by other logic, so the build is a full
# refresh. Data tests, docs and analyses do not change a row and are left out.
FINGERPRINTED = ("dbt_project.yml", "models", "macros", "seeds")
FINGERPRINTED_PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb")
# One row per published DuckDB build, written by this module (not a dbt model: it records dbt).
BUILDS_TABLE = "lakehouse_builds"


def project_fingerprint() -> str:
    """A digest of the dbt project's model logic (FINGERPRINTED files, the profile) and of the
    engine versions that run it."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    files = [PROFILES_DIR / "profiles.yml"]
    for name in FINGERPRINTED:
        path = DBT_PROJECT_DIR / name
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for path in files:
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for package in FINGERPRINTED_PACKAGES:
        digest.update(f"{package}=={version(package)}\0".encode())
    return digest.hexdigest()


def bronze_state(catalog: Catalog) -> str:
    """The bronze snapshots a build would read: each table's current snapshot id (and the run
    `HEALTHLAKE_BRONZE_AS_OF_RUN` pins the mirror to), as JSON text."""
    try:
        identifiers = sorted(catalog.list_tables(BRONZE))
    except NoSuchNamespaceError:
        identifiers = []
    snapshots: dict[str, int | None] = {}
    for identifier in identifiers:
        snapshot = catalog.load_table(identifier).current_snapshot()
        snapshots[".".join(identifier)] = snapshot.snapshot_id if snapshot else None
    pinned = os.environ.get("HEALTHLAKE_BRONZE_AS_OF_RUN") or None
    return json.dumps({"as_of_run": pinned, "snapshots": snapshots}, sort_keys=True)


@dataclass(frozen=True)
class BuildRecord:
    """A published DuckDB build, as `ops.lakehouse_builds` keeps it: what it was built from."""

    fingerprint: str
    bronze_snapshots: str
    full_refresh: bool = False
    built_at: datetime | None = None
    pipeline_run_id: str | None = None

    def same_inputs(self, other: BuildRecord) -> bool:
        """Whether a build of `other` would read what this one read, so would change nothing
        (but the lineage columns saying which build wrote a row)."""
        return (self.fingerprint, self.bronze_snapshots) == (
            other.fingerprint,
            other.bronze_snapshots,
        )

    def refreshed(self) -> BuildRecord:
        return BuildRecord(self.fingerprint, self.bronze_snapshots, full_refresh=True)


def last_build(database: Path) -> BuildRecord | None:
    """The last build `database` records, or None (no file, or built before builds were
    recorded)."""
    if not database.exists():
        return None
    with duckdb.connect(str(database), read_only=True) as conn:
        recorded = conn.execute(
            "select count(*) from duckdb_tables() where schema_name = 'ops' and table_name = ?",
            [BUILDS_TABLE],
        ).fetchall()[0][0]
        if not recorded:
            return None
        rows = conn.execute(
            "select project_fingerprint, bronze_snapshots, full_refresh, built_at, "
            f"pipeline_run_id from ops.{BUILDS_TABLE} order by built_at desc limit 1"
        ).fetchall()
    return BuildRecord(*rows[0]) if rows else None


def record_build(database: Path, build: BuildRecord) -> None:
    """Append `build` to `ops.lakehouse_builds` in the file dbt just built."""
    with duckdb.connect(str(database)) as conn:
        conn.execute(
            f"create table if not exists ops.{BUILDS_TABLE} ("
            "project_fingerprint varchar not null, bronze_snapshots varchar not null, "
            "full_refresh boolean not null, built_at timestamp not null, "
            "pipeline_run_id varchar)"
        )
        conn.execute(
            f"insert into ops.{BUILDS_TABLE} "
            "values (?, ?, ?, current_timestamp at time zone 'UTC', ?)",
            [
                build.fingerprint,
                build.bronze_snapshots,
                build.full_refresh,
                os.environ.get("PIPELINE_RUN_ID") or None,
            ],
        )


def trino_url() -> str:
    """The Trino the `trino` target connects to (profiles/profiles.yml reads the same variables)."""
    host = os.environ.get("HEALTHLAKE_TRINO_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('HEALTHLAKE_TRINO_PORT', '18080')}"


def prepare_trino_bronze() -> None:
    """Before a Trino build: check that Trino answers, and create the declared bronze sources
    its catalog lacks as empty tables of their definitions (what the DuckDB mirror does).

    Raises:
        LakehouseError: Trino does not answer, or the catalog cannot be opened.
    """
    import urllib.error
    import urllib.request

    from iceberg.tables import definition_for, ensure_table
    from lakehouse.dbt_plugin import declared_sources

    url = trino_url()
    try:
        with urllib.request.urlopen(f"{url}/v1/info", timeout=10) as response:
            starting = json.loads(response.read()).get("starting", True)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise LakehouseError(
            f"no Trino answers at {url} ({error}); start one with 'just trino up' (or set "
            "HEALTHLAKE_TRINO_HOST and HEALTHLAKE_TRINO_PORT)"
        ) from error
    if starting:
        raise LakehouseError(f"Trino at {url} is still starting; run again in a few seconds")
    # The PyIceberg catalog that Trino's `iceberg` catalog shares (profiles/catalogs.yml).
    catalog = load_catalog(os.environ.get("HEALTHLAKE_CATALOG", "trino"), create=True)
    for name in declared_sources(DBT_PROJECT_DIR / "models", "iceberg_bronze"):
        definition = definition_for(name)
        if definition is not None and not catalog.table_exists(definition.identifier):
            ensure_table(catalog, definition)


class StopSignals:
    """While active, SIGINT and SIGTERM are recorded and passed on to dbt instead of ending this
    process at once, so that the working copy is removed and the user told what happened."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.child: subprocess.Popen[str] | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        # Python lets only the main thread set handlers; elsewhere signals keep their defaults.
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)


@dataclass(frozen=True)
class DbtOutcome:
    """How one `dbt build` ended."""

    target: str
    returncode: int
    run_results: Path
    log: Path
    interrupted_by: int | None = None

    def success_line(self) -> str:
        """The line a passing build prints (tests and scripts look for it)."""
        return f"dbt build --target {self.target}: all models built and all tests passed"

    def raise_for_failure(self, state: str, *, on_interrupt: str | None = None) -> None:
        """Raise BuildFailedError with one line saying what failed, unless dbt passed.

        Args:
            state: what a failure leaves behind, e.g. "the lakehouse is unchanged (...)".
            on_interrupt: what an interrupted build leaves behind, if not `state`.
        """
        log = f"Full log: {_shown(self.log)}"
        if self.interrupted_by is not None:
            name = signal.Signals(self.interrupted_by).name
            raise BuildFailedError(
                f"the build was interrupted ({name}) and dbt stopped; {on_interrupt or state}",
                exit_code=128 + self.interrupted_by,
            )
        if self.returncode == 0:
            return
        if self.returncode < 0:
            raise BuildFailedError(
                f"dbt was stopped (signal {-self.returncode}) before it finished; {state}. {log}"
            )
        failures = describe_run_results(self.run_results)
        if failures is None:
            raise BuildFailedError(
                f"dbt build --target {self.target} ended (exit {self.returncode}) without run "
                f"results: its error is printed above; {state}. {log}"
            )
        raise BuildFailedError(
            f"dbt build --target {self.target} failed: {failures}; {state}. {log}"
        )


def run_dbt_build(
    target: str, env: dict[str, str], stop: StopSignals, *, full_refresh: bool = False
) -> DbtOutcome:
    """`dbt build --target target` in the project, its output streaming to this terminal."""
    env.setdefault("DBT_PROFILES_DIR", str(PROFILES_DIR))
    target_dir = DBT_PROJECT_DIR / env.get("DBT_TARGET_PATH", "target")
    run_results = target_dir / "run_results.json"
    # A killed dbt writes none: the previous build's file must not be read as this one's.
    run_results.unlink(missing_ok=True)
    log = DBT_PROJECT_DIR / env.get("DBT_LOG_PATH", "logs") / "dbt.log"
    command = [_dbt_executable(), "build", "--target", target, *DBT_BUILD_FLAGS]
    if full_refresh:
        command.append("--full-refresh")
    if not sys.stdout.isatty():
        command.append("--no-use-colors")
    process = subprocess.Popen(
        command, cwd=DBT_PROJECT_DIR, env=env, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    relay = threading.Thread(target=_relay_progress, args=(process,), daemon=True)
    relay.start()
    stop.child = process
    stopping_since: float | None = None
    try:
        while True:
            try:
                returncode = process.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if stop.received is None:
                    continue
                stopping_since = stopping_since or time.monotonic()
                if time.monotonic() - stopping_since > STOP_GRACE_SECONDS:
                    process.kill()
    finally:
        stop.child = None
        relay.join(timeout=STOP_GRACE_SECONDS)
    return DbtOutcome(target, returncode, run_results, log, stop.received)


# dbt events shown as they are: what was built, the counts before and the totals after.
SHOWN_EVENTS = frozenset(
    {"LogModelResult", "LogSeedResult", "LogSnapshotResult", "FoundStats", "StatsLine"}
)


def progress_line(raw: str) -> str | None:
    """The line to show for one line of dbt's JSON console output, or None to leave it out.

    Shown: dbt's result line of each model, seed and snapshot, of each test that did not pass,
    every warning and error, and the node counts and totals. A line that is not a dbt event
    (a macro's `print()`) is shown as it is.
    """
    try:
        event = json.loads(raw)
        info = event["info"]
        name, level, message = info["name"], info["level"], str(info["msg"])
    except (ValueError, KeyError, TypeError):
        return raw.rstrip("\n") or None
    if level in ("warn", "error") or name in SHOWN_EVENTS:
        return message
    if name == "LogTestResult":
        status = event.get("data", {}).get("status")
        return None if status == "pass" else message
    return None


def _relay_progress(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for raw in process.stdout:
        line = progress_line(raw)
        if line is not None:
            print(line, flush=True)


def _dbt_executable() -> str:
    """dbt from the environment running this command (what `uv run` puts on PATH)."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


def describe_run_results(path: Path) -> str | None:
    """What failed, from dbt's `run_results.json`: "2 models errored (a, b), 1 test failed (c);
    394 skipped". None when the file is missing or unreadable (dbt ended before writing it)."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # (kind, verb) -> node names, in the order the groups are listed.
    groups: dict[tuple[str, str], list[str]] = {
        (kind, verb): []
        for kind in ("model", "seed", "snapshot", "unit_test", "test")
        for verb in ("errored", "failed")
    }
    skipped = 0
    for result in results:
        unique_id = str(result.get("unique_id", ""))
        status = result.get("status")
        if status == "skipped":
            skipped += 1
            continue
        verb = {"error": "errored", "fail": "failed"}.get(str(status))
        kind, _, rest = unique_id.partition(".")
        if verb is None or (kind, verb) not in groups:
            continue
        groups[(kind, verb)].append(_node_name(kind, rest))
    parts = [_count(kind, verb, names) for (kind, verb), names in groups.items() if names]
    if not parts:
        parts = ["no node failed (see the error printed above)"]
    line = ", ".join(parts)
    return f"{line}; {skipped} skipped" if skipped else line


def _node_name(kind: str, rest: str) -> str:
    """The name dbt selects a node by, from the unique id after its kind: `healthlake.person`,
    `healthlake.unique_person_person_id.5f2a` (generic tests end in a hash),
    `healthlake.person.a_unit_test`."""
    parts = rest.split(".")
    if kind == "unit_test":
        return parts[-1]
    return parts[1] if len(parts) > 1 else rest


def _count(kind: str, verb: str, names: list[str]) -> str:
    noun = kind.replace("_", " ") + ("s" if len(names) > 1 else "")
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += f" and {len(names) - NAMES_SHOWN} more"
    return f"{len(names)} {noun} {verb} ({shown})"


def _shown(path: Path) -> str:
    """A path as the user should read it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def wal_path(database: Path) -> Path:
    """DuckDB's write-ahead log of a database file."""
    return database.with_name(database.name + ".wal")


@dataclass(frozen=True)
class _FileState:
    inode: int
    size: int
    mtime_ns: int

    @staticmethod
    def of(path: Path) -> _FileState | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return _FileState(stat.st_ino, stat.st_size, stat.st_mtime_ns)


class WorkingCopy:
    """The file a DuckDB build writes: a copy of the published lakehouse beside it, renamed onto
    it by `publish` once the build passed, removed otherwise.

    Entering takes the build lock (one build per lakehouse at a time), removes a working copy a
    killed build left behind and copies the published file (none yet: dbt starts a new file).
    Leaving without `publish` removes the working copy and leaves the published file untouched.
    """

    def __init__(self, published: Path, say: Say = print) -> None:
        self.published = published
        self.path = published.with_name(f".{published.stem}.building{published.suffix}")
        self._lock_path = published.with_name(f".{published.stem}.build.lock")
        self._say = say
        self._lock: int | None = None
        self._copied_from: _FileState | None = None
        self._done = False

    def __enter__(self) -> WorkingCopy:
        self.published.parent.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        try:
            self._remove_stale()
            self._copy()
        except BaseException:
            self._remove()
            self._release_lock()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._done:
            self._remove()
        self._release_lock()

    def _take_lock(self) -> None:
        lock = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(lock, 32).decode(errors="replace").strip()
            os.close(lock)
            raise LakehouseLockedError(
                f"another build of {self.published} is running"
                + (f" (process {holder})" if holder else "")
                + "; wait for it to finish and run again"
            ) from None
        os.ftruncate(lock, 0)
        os.write(lock, str(os.getpid()).encode())
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _remove_stale(self) -> None:
        # Under the lock, a working copy can only be a killed build's.
        if self.path.exists():
            size = self.path.stat().st_size
            self._remove()
            self._say(
                f"removed an unfinished build's working copy {_shown(self.path)} "
                f"({size / MIB:,.0f} MiB)"
            )

    def _copy(self) -> None:
        if not self.published.exists():
            return
        if wal_path(self.published).exists():
            # Changes a writer left in the log belong in the copy: fold them into the file.
            with duckdb.connect(str(self.published)) as conn:
                conn.execute("checkpoint")
            self._check_no_wal(self.published)
        started = time.monotonic()
        shutil.copyfile(self.published, self.path)
        seconds = time.monotonic() - started
        self._copied_from = _FileState.of(self.published)
        self._say(f"working copy: {self.path.stat().st_size / MIB:,.0f} MiB in {seconds:.1f} s")

    def publish(self) -> None:
        """Make the working copy the lakehouse: checkpoint, fsync, rename, fsync the folder.

        Raises:
            LakehouseChangedError: another process wrote the published file during the build;
                publishing would lose its changes, so the build is not published.
        """
        with duckdb.connect(str(self.path)) as conn:
            conn.execute("checkpoint")
        self._check_no_wal(self.path)
        wal_path(self.path).unlink(missing_ok=True)
        if _FileState.of(self.published) != self._copied_from or _has_wal(self.published):
            raise LakehouseChangedError(
                f"{self.published} was written by another process during the build; publishing "
                "would lose those changes, so the build was not published and the file is as "
                "that process left it; run the build again"
            )
        wal_path(self.published).unlink(missing_ok=True)
        _fsync(self.path)
        # os.replace: atomic on POSIX, a reader opens the old file or the new one.
        self.path.replace(self.published)
        self._done = True
        _fsync(self.published.parent)

    def _remove(self) -> None:
        self.path.unlink(missing_ok=True)
        wal_path(self.path).unlink(missing_ok=True)

    @staticmethod
    def _check_no_wal(database: Path) -> None:
        if _has_wal(database):
            raise LakehouseError(
                f"{database} still has a write-ahead log after a checkpoint; a process may hold "
                "it open: close it and run again"
            )


def _has_wal(database: Path) -> bool:
    wal = wal_path(database)
    return wal.exists() and wal.stat().st_size > 0


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
