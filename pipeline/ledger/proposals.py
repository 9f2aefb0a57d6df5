"""Rows read from prose or scans that wait for a person (``proposals``), and a person's decision about them:
confirmed rows (``confirmed_activities``) replace what ingestion read as a message's key activities, whatever
a later reading finds; how a decided message reads is applied where messages are read (``messages.py``)."""
from __future__ import annotations

import json
import sqlite3

from parsers.parsed import Activity
from pipeline.ledger.base import Ledger, iso, marks, utcnow

ACTIVITY_COLUMNS = ("title", "start_date", "end_date", "location", "organizer", "format", "participants",
                    "participants_offline", "participants_online", "source", "raw", "flags")
CONFIRMED = "(SELECT key FROM proposal_decisions WHERE action='confirm')"


def activity_values(a: Activity) -> tuple:
    """An activity as the values of ``ACTIVITY_COLUMNS``."""
    return (a.title, a.start_date and a.start_date.isoformat(), a.end_date and a.end_date.isoformat(), a.location,
            a.organizer, a.format, a.participants, a.participants_offline, a.participants_online, a.source,
            json.dumps(a.raw, ensure_ascii=False), ",".join(a.flags))


class Proposals(Ledger):
    def proposals(self, keys: list[str] | None = None) -> list[sqlite3.Row]:
        if keys is None:
            return self.db.execute("SELECT * FROM proposals ORDER BY key, seq").fetchall()
        return self.db.execute(f"SELECT * FROM proposals WHERE key IN ({marks(len(keys))}) ORDER BY key, seq",
                               keys).fetchall()

    def confirmed(self, key: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM confirmed_activities WHERE key=? ORDER BY seq", (key,)).fetchall()

    def proposal_decisions(self, action: str | None = None) -> dict[str, sqlite3.Row]:
        rows = self.db.execute("SELECT * FROM proposal_decisions" + (" WHERE action=?" if action else ""),
                               (action,) if action else ()).fetchall()
        return {r["key"]: r for r in rows}

    def confirm_proposals(self, key: str, unit_id: str, rows: list[dict]) -> None:
        """These rows (edits applied) become the message's activities, whatever a later reading finds."""
        with self.transaction() as db:
            db.execute("DELETE FROM confirmed_activities WHERE key=?", (key,))
            db.executemany(
                "INSERT INTO confirmed_activities(key, seq, unit_id, title, start_date, end_date, location, organizer,"
                " format, participants, participants_offline, participants_online, source, raw, flags, confidence,"
                " evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(key, i, unit_id, *(r.get(c) for c in ACTIVITY_COLUMNS), r.get("confidence"), r.get("evidence"))
                 for i, r in enumerate(rows)])
            _decide(db, key, "confirm", unit_id, None)

    def reject_proposals(self, key: str, reason: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM confirmed_activities WHERE key=?", (key,))
            _decide(db, key, "reject", None, reason)


def _decide(db: sqlite3.Connection, key: str, action: str, unit_id: str | None, reason: str | None) -> None:
    db.execute("INSERT INTO proposal_decisions(key, action, unit_id, reason, decided_at) VALUES (?,?,?,?,?)"
               " ON CONFLICT(key) DO UPDATE SET action=excluded.action, unit_id=excluded.unit_id,"
               " reason=excluded.reason, decided_at=excluded.decided_at",
               (key, action, unit_id, reason, iso(utcnow())))
