"""The ledger in SQLite: the only code that reads or writes the database.

One ``Store`` per process, made of one part per table: ``messages`` (and the files and activities of each),
``proposals`` (rows read from prose and their confirmation), ``outbox_table``, ``decisions`` (admins' decisions,
picks and the audit trail), ``marks`` (what the worker
last did) and ``platform`` (the national platform's list). It gives back typed rows (``rows``); the schema and its migrations are ``schema``.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.ledger.base import utcnow
from pipeline.ledger.decisions import Decisions
from pipeline.ledger.marks import Marks
from pipeline.ledger.messages import Messages
from pipeline.ledger.outbox_table import OutboxTable
from pipeline.ledger.platform import PlatformList
from pipeline.ledger.schema import migrate

__all__ = ["Store", "utcnow"]


class Store(Messages, OutboxTable, Decisions, Marks, PlatformList):
    def __init__(self, path: Path, busy_timeout: float = 30):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=busy_timeout)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.upgraded_from = migrate(self.db)

    def close(self) -> None:
        self.db.close()

    def backup_to(self, path: Path) -> None:
        """A consistent copy of the ledger at one instant, taken while others write (SQLite's backup API)."""
        target = sqlite3.connect(path)
        try:
            self.db.backup(target)
        finally:
            target.close()

    def ledger_version(self) -> tuple[int, int]:
        """Changes whenever anything is committed to the ledger, by this connection or another: a cache key.
        (``data_version`` sees other connections' commits, ``total_changes`` this one's.)"""
        return self.db.execute("PRAGMA data_version").fetchone()[0], self.db.total_changes
