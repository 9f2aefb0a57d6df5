"""Admin decisions (an address belongs to a unit; a message needs nothing; what to commend) and the audit
trail of actions.
How a dismissal reads is applied where messages are read (``ledger/messages.py``)."""
from __future__ import annotations

from pipeline.ledger.base import Ledger, iso, utcnow
from pipeline.ledger.rows import AuditRow, PickRow


class Decisions(Ledger):
    def remember_sender(self, address: str, unit_id: str, key: str | None) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO sender_units(address, unit_id, message_key, decided_at) VALUES (?,?,?,?)"
                       " ON CONFLICT(address) DO UPDATE SET unit_id=excluded.unit_id,"
                       " message_key=excluded.message_key, decided_at=excluded.decided_at",
                       (address.strip().lower(), unit_id, key, iso(utcnow())))

    def remembered_senders(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT address, unit_id FROM sender_units").fetchall())

    def dismiss(self, key: str, reason: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO review_decisions(key, action, reason, decided_at) VALUES (?, 'dismiss', ?, ?)"
                       " ON CONFLICT(key) DO UPDATE SET action='dismiss', reason=excluded.reason,"
                       " decided_at=excluded.decided_at", (key, reason, iso(utcnow())))

    def undismiss(self, key: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM review_decisions WHERE key=? AND action='dismiss'", (key,)).rowcount == 1

    def set_pick(self, kind: str, target: str, label: str, actor: str) -> bool:
        """Record a pick; False when it was already picked (the first pick's actor and time stay)."""
        with self.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO picks(kind, target, label, actor, picked_at) VALUES (?,?,?,?,?)",
                              (kind, target, label, actor, iso(utcnow()))).rowcount == 1

    def drop_pick(self, kind: str, target: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM picks WHERE kind=? AND target=?", (kind, target)).rowcount == 1

    def picks(self) -> list[PickRow]:
        return [PickRow.from_sql(r) for r in self.db.execute("SELECT * FROM picks ORDER BY kind, picked_at, target")]

    def record_action(self, actor: str, action: str, target: str | None, detail: str | None, outcome: str,
                      ok: bool) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO audit(at, actor, action, target, detail, outcome, ok) VALUES (?,?,?,?,?,?,?)",
                       (iso(utcnow()), actor, action, target, detail, outcome[:2000], int(ok)))

    def audit_log(self, limit: int = 200) -> list[AuditRow]:
        return [AuditRow.from_sql(r) for r in self.db.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?",
                                                               (limit,))]
