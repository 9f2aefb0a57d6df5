"""Failures of the machine, not of a message: a full disk, a ledger locked by another program,
another process already ingesting. Each becomes one line saying what happened and what to do, a
distinct exit code, and a note in ``data_dir/last_error.txt`` that `status` shows to the next person
(the ledger itself may be the thing that cannot be written). Nothing fetched is lost: raw mail is
archived before it is recorded, and a message is only marked done in the transaction that stores
its results."""
from __future__ import annotations

import errno
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from pipeline.config import Config
from pipeline.locks import Busy

EXIT_BUSY = 3
EXIT_DISK_FULL = 4
EXIT_LEDGER_LOCKED = 5
LOW_SPACE = 50 * 2**20  # status warns below this much free space in data_dir
_FILE = "last_error.txt"


def _sqlite_code(exc: BaseException) -> int | None:
    """SQLite's primary result code (the low byte of an extended one such as SQLITE_BUSY_SNAPSHOT)."""
    code = getattr(exc, "sqlite_errorcode", None) if isinstance(exc, sqlite3.Error) else None
    return code & 0xFF if isinstance(code, int) else None


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return True
    return _sqlite_code(exc) == sqlite3.SQLITE_FULL


def is_ledger_locked(exc: BaseException) -> bool:
    return _sqlite_code(exc) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def is_machine_fault(exc: BaseException) -> bool:
    """Not the message's fault: must not count as one of its attempts."""
    return is_disk_full(exc) or is_ledger_locked(exc)


def explain(exc: BaseException, config: Config, command: str) -> tuple[int, str] | None:
    """(exit code, one line for the operator) for a known machine failure, else None."""
    data_dir = config.data_dir
    if isinstance(exc, Busy):
        return EXIT_BUSY, (f"{command}: already running elsewhere — {exc}; waited "
                           f"{config.runtime.lock_wait_seconds:.0f} s, exiting without doing anything. "
                           "Run it again when that one has finished (or raise runtime.lock_wait_seconds).")
    if is_disk_full(exc):
        return EXIT_DISK_FULL, (f"{command}: the disk holding {data_dir} is full ({exc}). Free some space there "
                                "(the mail archive, ledger and logs live in data_dir) and run it again: "
                                "mail already fetched is kept and is read then.")
    if is_ledger_locked(exc):
        return EXIT_LEDGER_LOCKED, (f"{command}: the ledger {data_dir / 'ledger.sqlite3'} stayed locked by another "
                                    f"program for more than {config.runtime.ledger_wait_seconds:.0f} s. Close the "
                                    "program holding it (a database viewer, a backup or sync tool) and run it again; "
                                    "nothing was lost.")
    return None


def remember(data_dir: Path, line: str) -> None:
    """Leave the failure for `status`; on a full disk even this may fail, and status then measures."""
    try:
        (Path(data_dir) / _FILE).write_text(f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} {line}\n",
                                            encoding="utf-8")
    except OSError:
        pass


def forget(data_dir: Path) -> None:
    """A cycle ran through: the last failure is history."""
    try:
        (Path(data_dir) / _FILE).unlink(missing_ok=True)
    except OSError:
        pass


def status_lines(data_dir: Path) -> list[str]:
    """What `status` adds: the last failure not yet followed by a good cycle, and a disk nearly full."""
    lines = []
    try:
        note = (Path(data_dir) / _FILE).read_text(encoding="utf-8").strip()
    except OSError:
        note = ""
    if note:
        lines.append(f"LAST RUN FAILED: {note}")
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError:
        free = None
    if free is not None and free < LOW_SPACE:
        lines.append(f"DISK NEARLY FULL: {free // 2**20} MB free where {data_dir} lives; free space before the next poll")
    return lines
