"""The SHA-256 of a file: what a generated dataset's manifest and the bronze ledgers record."""

from __future__ import annotations

import hashlib
from pathlib import Path

# Read this much at a time: a file larger than memory hashes in constant memory.
_CHUNK_BYTES = 1 << 20


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as 64 lowercase hex digits."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()
