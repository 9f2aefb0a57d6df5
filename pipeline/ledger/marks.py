"""The ``marks`` row: what the worker last did (poll, digest, SMTP outage), and the message it was deciding."""
from __future__ import annotations

from datetime import datetime

from pipeline.ledger.base import Ledger, iso


class Marks(Ledger):
    def _mark(self, column: str) -> str | None:
        return self.db.execute(f"SELECT {column} FROM marks").fetchone()[0]

    def _set_marks(self, **values: object) -> None:
        # one statement: atomic on its own (autocommit); it also joins a transaction already open
        columns = ", ".join(f"{name}=?" for name in values)
        self.db.execute(f"UPDATE marks SET {columns}", tuple(values.values()))

    def last_poll(self) -> tuple[str | None, str | None]:
        """When the last poll ended (UTC ISO) and its one-line report."""
        row = self.db.execute("SELECT last_poll, last_poll_report FROM marks").fetchone()
        return row[0], row[1]

    def set_last_poll(self, at: datetime, report: str) -> None:
        self._set_marks(last_poll=iso(at), last_poll_report=report)

    def last_digest_day(self) -> str | None:
        """The campaign-local day (ISO) on which the worker last sent the daily digest."""
        return self._mark("last_digest_day")

    def set_last_digest_day(self, day: str) -> None:
        self._set_marks(last_digest_day=day)

    def last_digest_at(self) -> datetime | None:
        value = self._mark("last_digest_at")
        return datetime.fromisoformat(value) if value else None

    def set_last_digest_at(self, at: datetime) -> None:
        self._set_marks(last_digest_at=iso(at))

    def smtp_outage(self) -> tuple[int, datetime | None]:
        """Consecutive flushes that found the SMTP server unusable, and when the next may try."""
        failures, retry_at = self.db.execute("SELECT smtp_failures, smtp_retry_at FROM marks").fetchone()
        return failures, datetime.fromisoformat(retry_at) if retry_at else None

    def set_smtp_outage(self, failures: int, retry_at: datetime | None) -> None:
        self._set_marks(smtp_failures=failures, smtp_retry_at=iso(retry_at))

    def mark_in_process(self, key: str) -> None:
        """The worker is deciding this message in its own process: if it dies now, the message is to blame."""
        self._set_marks(in_process=key)
