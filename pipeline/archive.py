"""Raw messages on disk, content-addressed.

Each message is stored once under ``archive/ab/abcdef….eml`` (its SHA-256). Writes go to a
temporary file that is fsynced and renamed into place, so a crash leaves either the whole
message or nothing, never a torn file.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":  # Windows cannot open a directory for fsync
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Archive:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.eml"

    def put(self, raw: bytes) -> str:
        """Store ``raw`` durably and return its digest. Storing the same bytes twice is free."""
        digest = sha256_hex(raw)
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(raw):
            return digest
        target.parent.mkdir(exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def get(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()

    def has(self, digest: str) -> bool:
        return self.path_for(digest).exists()
