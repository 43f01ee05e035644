"""File helpers the backends and the pipeline share."""

from __future__ import annotations

import hashlib
from pathlib import Path

HASH_CHUNK_BYTES = 1 << 20  # read size while hashing


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read a megabyte at a time.

    Raises:
        OSError: the file cannot be read.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(HASH_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
