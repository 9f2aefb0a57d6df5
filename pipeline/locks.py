"""Exclusive lock files under data_dir: one `serve` per data_dir (worker.lock), one process
ingesting at a time (ingest.lock), one process flushing the outbox (outbox.lock).

fcntl.flock on Unix, msvcrt.locking on Windows. The lock belongs to an open file, so it ends
with the process however the process ends (even SIGKILL): a stale lock file never blocks anyone.
The holder writes "pid command" into the file, so a waiting process can say who holds it.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pipeline import PipelineError


class Busy(PipelineError):
    """Another process holds the lock; the message names it (pid, command) and the file."""


def _try_lock(handle: TextIO) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def holder(path: Path) -> str:
    """What the holder wrote into the lock file ("pid command"), or "" when unknown."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip()[:200]
    except OSError:
        return ""


class FileLock:
    """``with FileLock(path, "poll", wait=60):`` holds the lock or raises Busy after ``wait`` seconds
    (0 = do not wait). ``on_wait`` is called once, with the holder's description, before waiting."""

    def __init__(self, path: Path, what: str, *, wait: float = 0.0,
                 on_wait: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.what = what
        self.wait = wait
        self.on_wait = on_wait
        self.handle: TextIO | None = None

    def __enter__(self) -> "FileLock":
        if self.handle is not None:  # already held (try_lock, then `with`)
            return self
        handle = open(self.path, "a+", encoding="utf-8")
        deadline = time.monotonic() + self.wait
        told = False
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                handle.close()
                raise Busy(describe_holder(self.path))
            if not told and self.on_wait is not None:
                self.on_wait(describe_holder(self.path))
                told = True
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        if os.name != "nt":  # msvcrt locks the first byte: the file cannot be rewritten there
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()} {self.what}")
            handle.flush()
        self.handle = handle
        return self

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def describe_holder(path: Path) -> str:
    text = holder(path)
    pid, _, what = text.partition(" ")
    who = f"`{what}` (pid {pid})" if pid.isdigit() and what else (f"pid {pid}" if pid.isdigit() else "another process")
    return f"{who} holds {path}"


def try_lock(path: Path, what: str) -> FileLock | None:
    """The lock if it is free right now, else None (the caller leaves the work to the holder)."""
    try:
        return FileLock(path, what).__enter__()
    except Busy:
        return None
