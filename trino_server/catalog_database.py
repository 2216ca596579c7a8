"""The PostgreSQL server that holds the Iceberg catalog Trino and PyIceberg share.

PyIceberg's SQL catalog and Trino's Iceberg JDBC catalog keep the same two tables
(`iceberg_tables`, `iceberg_namespace_properties`), so one PostgreSQL database is one catalog for
both: the loaders commit bronze tables there (`--catalog trino`), Trino commits silver, OMOP and
gold there, and each reads what the other wrote. SQLite cannot play that part, because Trino
ships no SQLite driver; Debian's PostgreSQL is one `apt-get install postgresql` away.

The server listens on 127.0.0.1 only, with no Unix socket, and trusts local connections to its
`healthlake` database: a development catalog on one machine (docs/trino.md shows the settings of
a real deployment). PostgreSQL refuses to run as root, so under root it runs as the `postgres`
account the Debian package creates.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

from trino_server.exceptions import CatalogDatabaseError

DATABASE = "healthlake"
USER = "healthlake"
START_TIMEOUT_SECONDS = 60.0
# Where the data goes when the `postgres` account cannot reach the state folder.
ELSEWHERE = Path("/var/tmp/healthlake-catalog-db")


def _binaries() -> Path:
    """The folder with initdb, postgres and pg_ctl: the newest /usr/lib/postgresql/*/bin
    (Debian keeps them off PATH), else wherever PATH has initdb."""
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(
            (path for path in debian.iterdir() if (path / "bin" / "initdb").exists()),
            key=lambda path: int(path.name) if path.name.isdigit() else 0,
        )
        if versions:
            return versions[-1] / "bin"
    found = shutil.which("initdb")
    if found is None:
        raise CatalogDatabaseError(
            "PostgreSQL is not installed (no initdb under /usr/lib/postgresql or on PATH); "
            "install it (apt-get install postgresql) and run again"
        )
    return Path(found).parent


def _account() -> pwd.struct_passwd | None:
    """The account the server runs as: None for the current user, `postgres` under root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as error:
        raise CatalogDatabaseError(
            "PostgreSQL cannot run as root and there is no 'postgres' account; install "
            "Debian's postgresql package (it creates one) or run as another user"
        ) from error


def _reachable_by(account: pwd.struct_passwd, folder: Path) -> bool:
    """Whether `account` can reach `folder` (or, if it does not exist yet, its nearest existing
    parent): every folder above it must let that account through."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    result = subprocess.run(
        ["test", "-x", str(existing)], check=False, user=account.pw_uid, group=account.pw_gid
    )
    return result.returncode == 0


class CatalogDatabase:
    """A PostgreSQL server whose data lives in `folder`, listening on 127.0.0.1:`port`.

    Under root, when `postgres` cannot reach `folder` (a private temporary folder, mode 0700),
    the data goes to /var/tmp/healthlake-catalog-db/ under a name drawn from `folder`'s path,
    and `folder/data-location` says where.
    """

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = port
        account = _account()
        if account is not None and not _reachable_by(account, folder):
            digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
            self.data = ELSEWHERE / digest / "data"
            self.log = ELSEWHERE / digest / "postgres.log"

    @property
    def url(self) -> str:
        """The JDBC URL Trino connects with."""
        return f"jdbc:postgresql://127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, args: list[str], what: str) -> subprocess.CompletedProcess[str]:
        account = _account()
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            check=False,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            cwd=self.data.parent,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise CatalogDatabaseError(
                f"{what} failed: {detail[-1] if detail else f'exit {result.returncode}'}"
                f" (PostgreSQL in {self.folder})"
            )
        return result

    def running(self) -> bool:
        """Whether a server is running on this data folder (its postmaster.pid is live)."""
        if not (self.data / "PG_VERSION").exists():
            return False
        pg_ctl = str(_binaries() / "pg_ctl")
        account = _account()
        result = subprocess.run(
            [pg_ctl, "status", "-D", str(self.data)],
            capture_output=True,
            check=False,
            user=account.pw_uid if account else None,
            cwd=self.data.parent,
        )
        return result.returncode == 0

    def start(self) -> None:
        """Create the cluster on first use, start the server and create the database.

        Raises:
            CatalogDatabaseError: PostgreSQL is missing, or the server did not start.
        """
        binaries = _binaries()
        account = _account()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.data.parent != self.folder:
            self.data.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            (self.folder / "data-location").write_text(f"{self.data}\n", encoding="utf-8")
        if account is not None:
            os.chown(self.data.parent, account.pw_uid, account.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            self._run(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                ],
                "initdb",
            )
        if self.running():
            return
        # Started directly (not through pg_ctl, which hands its options to a shell), detached
        # from this process so that it outlives `just trino up`.
        with self.log.open("ab") as log:
            if account is not None:
                os.chown(self.log, account.pw_uid, account.pw_gid)
            subprocess.Popen(
                [
                    str(binaries / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "unix_socket_directories=",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                user=account.pw_uid if account else None,
                group=account.pw_gid if account else None,
                cwd=self.data.parent,
            )
        self._wait_and_create_database()

    def _wait_and_create_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                connection = psycopg2.connect(
                    host="127.0.0.1", port=self.port, user=USER, dbname="postgres"
                )
                break
            except psycopg2.OperationalError as error:
                if time.monotonic() > deadline:
                    raise CatalogDatabaseError(
                        f"PostgreSQL did not accept connections on 127.0.0.1:{self.port} "
                        f"within {START_TIMEOUT_SECONDS:.0f} s ({str(error).strip()}); see "
                        f"{self.log}"
                    ) from error
                time.sleep(0.3)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("select 1 from pg_database where datname = %s", (DATABASE,))
                if not cursor.fetchall():
                    cursor.execute(f"create database {DATABASE}")
        finally:
            connection.close()

    def stop(self) -> bool:
        """Stop the server if it runs; True if it was running."""
        if not self.running():
            return False
        self._run(
            [str(_binaries() / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w"],
            "pg_ctl stop",
        )
        return True

    def remove(self) -> None:
        """Stop the server and delete its data (scratch instances)."""
        self.stop()
        shutil.rmtree(self.data.parent if self.data.parent != self.folder else self.data, True)
