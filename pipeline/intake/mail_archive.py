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

from faults import checkpoint


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
        self._sweep_temporary()

    def _sweep_temporary(self, older_than_s: float = 3600) -> None:
        """Remove temp files a crash left behind (their message is fetched again: it was never recorded)."""
        import time

        cutoff = time.time() - older_than_s
        for tmp in self.root.glob("*/.tmp-*.eml"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
            except OSError:
                pass

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
                checkpoint("archive_tmp_written")
                os.fsync(handle.fileno())
            checkpoint("archive_fsynced")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        checkpoint("archive_renamed")
        _fsync_dir(target.parent)
        checkpoint("archive_dir_synced")
        return digest

    def get(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()

    def has(self, digest: str) -> bool:
        return self.path_for(digest).exists()
