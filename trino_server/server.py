"""A single-node Trino on 127.0.0.1 with one Iceberg catalog over the lakehouse's tables.

One instance lives in a state folder (`warehouse/trino/` for `just trino up`; a scratch folder
for parity and the tests): the catalog database (`catalog_db/`), Trino's configuration
(`etc/`), its data and logs (`data/`, the server log in `data/var/log/server.log`), and
`instance.json`, which says where it listens. Table files go under `iceberg/` beside them, the
same folder the `trino` entry of `profiles/catalogs.yml` gives PyIceberg.

Trino's catalog is named `iceberg`: dbt's `trino` target builds in `iceberg.silver`,
`iceberg.omop`, `iceberg.gold`, `iceberg.ops` and reads `iceberg.bronze`, the tables
`just load trino` wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from common.ports import free_port
from trino_server.catalog_database import DATABASE, USER, CatalogDatabase
from trino_server.distribution import TRINO_VERSION, Java, find_java, server_home
from trino_server.exceptions import ServerStartError, SilentExitError, TrinoServerError

TRINO_CATALOG = "iceberg"
SCRATCH_CATALOG = "memory"
# The PyIceberg catalog (profiles/catalogs.yml) whose tables Trino's `iceberg` catalog holds:
# both write its name in the catalog_name column of the shared tables.
PYICEBERG_CATALOG = "trino"
DEFAULT_PORT = 18080
DEFAULT_CATALOG_PORT = 15432
# A bounded heap: the machine is shared, and the lakehouse's queries need well under a GiB.
HEAP = "3G"
QUERY_MEMORY = "1GB"
START_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 60.0

Say = Callable[[str], None]


def port_setting(variable: str, default: int) -> int:
    """A port from the environment (`HEALTHLAKE_TRINO_PORT`), else the default."""
    text = os.environ.get(variable, "")
    if not text:
        return default
    if not text.isdigit() or not 1024 <= int(text) <= 65535:
        raise TrinoServerError(f"{variable}={text!r} is not a port; use a number 1024-65535")
    return int(text)


@dataclass(frozen=True)
class Instance:
    """Where a started Trino listens, as `instance.json` records it."""

    port: int
    catalog_port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class LocalTrino:
    """A Trino server and its catalog database, kept in `state`.

    Args:
        state: the instance's folder.
        port: Trino's HTTP port on 127.0.0.1.
        catalog_port: the catalog database's port on 127.0.0.1.
    """

    def __init__(self, state: Path, port: int, catalog_port: int) -> None:
        self.state = state.resolve()
        self.port = port
        self.database = CatalogDatabase(self.state / "catalog_db", catalog_port)
        self.etc = self.state / "etc"
        self.data = self.state / "data"
        self.tables = self.state / "iceberg"
        self.record = self.state / "instance.json"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server_log(self) -> Path:
        return self.data / "var" / "log" / "server.log"

    def up(self, say: Say = print) -> float:
        """Fetch the server if needed, start the catalog database and Trino, and wait until
        Trino answers queries. Returns the seconds Trino took to start (0 if it was up).

        Raises:
            TrinoServerError: what could not be had or started, in one line.
        """
        running = self.instance()
        if running is not None and running.port == self.port and self._answers():
            return 0.0
        if running is not None:
            raise TrinoServerError(
                f"a Trino of {self.state} runs on port {running.port}; stop it first "
                "('just trino down')"
            )
        home = server_home(say)
        java = find_java()
        self._check_port_free()
        self.database.start()
        self.tables.mkdir(parents=True, exist_ok=True)
        self._configure(home)
        started = time.monotonic()
        try:
            self._start(home, java)
        except SilentExitError:
            # Seen once in CI, straight after a `down`, under a parallel Trino build: the JVM
            # vanished at the end of its bootstrap with nothing in its logs and no shutdown hook
            # run (not reproduced alone). One more start is what a person would do; a second
            # silent exit is reported.
            say("trino: the server exited while starting with nothing logged; starting it again")
            self._start(home, java)
        return time.monotonic() - started

    def _start(self, home: Path, java: Java) -> None:
        pid = self._launch(home, java)
        self.record.write_text(
            json.dumps({"port": self.port, "catalog_port": self.database.port, "pid": pid}),
            encoding="utf-8",
        )
        self._wait_ready(pid)

    def _check_port_free(self) -> None:
        import socket

        with socket.socket() as sock:
            # As Trino's server binds: connections of a Trino just stopped (TIME_WAIT) do not
            # hold the port.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", self.port))
            except OSError as error:
                raise TrinoServerError(
                    f"port {self.port} on 127.0.0.1 is taken ({error.strerror}); stop what "
                    "holds it or set HEALTHLAKE_TRINO_PORT to a free port"
                ) from error

    def _configure(self, home: Path) -> None:
        catalog = self.etc / "catalog"
        catalog.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        _write_properties(
            self.etc / "node.properties",
            {
                "node.environment": "healthlake",
                "node.id": "healthlake-local",
                "node.data-dir": str(self.data),
                "node.internal-address": "127.0.0.1",
                "node.bind-ip": "127.0.0.1",
            },
        )
        _write_properties(
            self.etc / "config.properties",
            {
                "coordinator": "true",
                "node-scheduler.include-coordinator": "true",
                "http-server.http.port": str(self.port),
                "discovery.uri": self.url,
                "query.max-memory": QUERY_MEMORY,
                "query.max-memory-per-node": QUERY_MEMORY,
                "plugin.dir": str(home / "plugin"),
                "catalog.config-dir": str(catalog),
            },
        )
        (self.etc / "jvm.config").write_text(
            "\n".join(
                [
                    "-server",
                    f"-Xmx{HEAP}",
                    "-XX:+UseG1GC",
                    "-XX:G1HeapRegionSize=32M",
                    "-XX:+ExplicitGCInvokesConcurrent",
                    "-XX:+ExitOnOutOfMemoryError",
                    "-XX:-OmitStackTraceInFastThrow",
                    "-XX:ReservedCodeCacheSize=256M",
                    "-XX:PerMethodRecompilationCutoff=10000",
                    "-XX:PerBytecodeRecompilationCutoff=10000",
                    "-Djdk.attach.allowAttachSelf=true",
                    "-Djdk.nio.maxCachedBufferSize=2000000",
                    "-Dfile.encoding=UTF-8",
                    "-XX:+EnableDynamicAgentLoading",
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        _write_properties(self.etc / "log.properties", {"io.trino": "WARN"})
        _write_properties(
            catalog / f"{TRINO_CATALOG}.properties",
            {
                "connector.name": "iceberg",
                "iceberg.catalog.type": "jdbc",
                "iceberg.jdbc-catalog.catalog-name": PYICEBERG_CATALOG,
                "iceberg.jdbc-catalog.driver-class": "org.postgresql.Driver",
                "iceberg.jdbc-catalog.connection-url": self.database.url,
                "iceberg.jdbc-catalog.connection-user": USER,
                "iceberg.jdbc-catalog.connection-password": USER,
                "iceberg.jdbc-catalog.default-warehouse-dir": self.tables.as_uri(),
                # Table files are on this machine's disk: the paths PyIceberg wrote (file:///...).
                "fs.native-local.enabled": "true",
                "local.location": "/",
                "iceberg.file-format": "PARQUET",
            },
        )

        # A scratch catalog in memory: `just view-tests --engine trino` puts the test files'
        # resources there (views/trino_run.py); nothing of the lakehouse is kept in it.
        _write_properties(
            catalog / f"{SCRATCH_CATALOG}.properties",
            {"connector.name": "memory", "memory.max-data-per-node": "512MB"},
        )

    def _launch(self, home: Path, java: Java) -> int:
        env = {
            **os.environ,
            "JAVA_HOME": str(java.home),
            "PATH": f"{java.home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        launcher = home / "bin" / "linux-amd64" / "launcher"
        result = subprocess.run(
            [
                str(launcher),
                "start",
                f"--etc-dir={self.etc}",
                f"--data-dir={self.data}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ServerStartError(
                f"the Trino launcher failed: {(result.stderr or result.stdout).strip()}"
            )
        # "Started as 12345"
        words = result.stdout.split()
        if not words or not words[-1].isdigit():
            raise ServerStartError(f"the Trino launcher said {result.stdout.strip()!r}")
        return int(words[-1])

    def _answers(self) -> bool:
        """Whether Trino answers on its port, has finished starting and runs a query: a
        coordinator can say it has started before its own worker has joined, and a query then
        fails with "No nodes available to run query" (seen once in CI)."""
        try:
            with urllib.request.urlopen(f"{self.url}/v1/info", timeout=5) as response:
                info = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return False
        if info.get("starting", True):
            return False
        import trino.dbapi

        try:
            with trino.dbapi.connect(
                host="127.0.0.1", port=self.port, user="healthlake", request_timeout=10
            ) as conn:
                cursor = conn.cursor()
                cursor.execute("select 1")
                return cursor.fetchall() == [[1]]
        except Exception:  # any failure (no node yet, refused, timeout) means not ready
            return False

    def _wait_ready(self, pid: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._answers():
            if not _alive(pid):
                self.record.unlink(missing_ok=True)
                error = self._last_error()
                kind = SilentExitError if error is None else ServerStartError
                raise kind(
                    f"Trino exited while starting: {error or 'no error logged'}; "
                    f"see {self.server_log}"
                )
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"Trino did not answer on {self.url} within {START_TIMEOUT_SECONDS:.0f} s; "
                    f"see {self.server_log}"
                )
            time.sleep(0.5)

    def _last_error(self) -> str | None:
        for log in (self.server_log, self.data / "var" / "log" / "launcher.log"):
            try:
                lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            errors = [line for line in lines if "ERROR" in line or "Exception" in line]
            if errors:
                return errors[-1].strip()[:300]
        return None

    def instance(self) -> Instance | None:
        """The running instance of this state folder, or None (a stale record is removed)."""
        try:
            recorded = json.loads(self.record.read_text(encoding="utf-8"))
            instance = Instance(recorded["port"], recorded["catalog_port"], recorded["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not _alive(instance.pid):
            self.record.unlink(missing_ok=True)
            return None
        return instance

    def status(self) -> str:
        """One line: whether Trino is up, where, and over which catalog."""
        instance = self.instance()
        if instance is None:
            database = "running" if self.database.running() else "stopped"
            return f"trino: down (state {self.state}; catalog database {database})"
        answering = "up" if self._answers() else "starting or not answering"
        return (
            f"trino {TRINO_VERSION}: {answering} at {instance.url} (process {instance.pid}); "
            f"catalog {TRINO_CATALOG} = PostgreSQL 127.0.0.1:{instance.catalog_port}/{DATABASE}"
            f", tables in {self.tables}"
        )

    def down(self) -> list[str]:
        """Stop Trino and the catalog database; returns what was stopped."""
        stopped = []
        instance = self.instance()
        if instance is not None:
            os.kill(instance.pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
            while _alive(instance.pid):
                if time.monotonic() > deadline:
                    os.kill(instance.pid, signal.SIGKILL)
                time.sleep(0.2)
            self.record.unlink(missing_ok=True)
            # Where no init reaps orphans (containers, sandboxes) the stopped server stays a
            # zombie, which the launcher would take for a running one on the next start.
            (self.data / "var" / "run" / "launcher.pid").unlink(missing_ok=True)
            stopped.append(f"trino (process {instance.pid})")
        if self.database.stop():
            stopped.append("the catalog database")
        return stopped

    def remove(self) -> None:
        """Stop everything and delete the state folder (scratch instances)."""
        self.down()
        self.database.remove()
        shutil.rmtree(self.state, ignore_errors=True)


@contextmanager
def scratch_trino(state: Path, say: Say = print) -> Iterator[LocalTrino]:
    """A Trino and its catalog database in `state`, on free ports, started for the `with` block
    and removed after it (parity runs, tests)."""
    trino = LocalTrino(state, free_port(), free_port())
    try:
        trino.up(say=say)
        yield trino
    finally:
        trino.remove()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (our own exited child not yet reaped) counts as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _write_properties(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()), "utf-8")
