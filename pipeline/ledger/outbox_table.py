"""The outbox table: mail waiting to go, and what became of it (the path is drawn in outbox/queue.py)."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from faults import checkpoint
from pipeline.ledger.base import Ledger, iso, marks, utcnow
from pipeline.ledger.records import Outgoing
from pipeline.ledger.rows import OutboxRow

_LISTED = ("id, dedupe, kind, message_key, recipients, subject, state, attempts, next_try, last_error, created_at,"
           " sent_at")


def enqueue_in(db: sqlite3.Connection, mail: Outgoing) -> bool:
    """Queue ``mail`` inside the caller's transaction; False when its dedupe key was queued before."""
    cur = db.execute(
        "INSERT OR IGNORE INTO outbox(dedupe, kind, message_key, recipients, subject, raw, created_at)"
        " VALUES (?,?,?,?,?,?,?)",
        (mail.dedupe, mail.kind, mail.message_key, json.dumps(mail.recipients), mail.subject, mail.raw,
         iso(utcnow())))
    return cur.rowcount == 1


class OutboxTable(Ledger):
    def enqueue(self, mail: Outgoing) -> bool:
        if mail.kind == "digest":
            checkpoint("digest_built")
        with self.transaction() as db:
            queued = enqueue_in(db, mail)
        if mail.kind == "digest":
            checkpoint("digest_queued")
        return queued

    def outbox_due(self, now: datetime, limit: int = 100) -> list[OutboxRow]:
        rows = self.db.execute(
            "SELECT * FROM outbox WHERE state IN ('pending', 'sending') AND (next_try IS NULL OR next_try <= ?)"
            " ORDER BY id LIMIT ?", (iso(now), limit))
        return [OutboxRow.from_sql(r) for r in rows]

    def outbox_mark(self, mail_id: int, state: str, *, error: str | None = None,
                    next_try: datetime | None = None, tries: int = 0) -> None:
        """Set a mail's state (and add ``tries`` to its count); the named methods below say why."""
        # one statement: atomic on its own (autocommit), no BEGIN/COMMIT round trips per mail sent
        self.db.execute(
            "UPDATE outbox SET state=?, last_error=COALESCE(?, last_error), next_try=?,"
            " attempts = attempts + ?, sent_at = CASE WHEN ? IN ('sent', 'unconfirmed') THEN ? ELSE sent_at END"
            " WHERE id=?",
            (state, error, iso(next_try), tries, state, iso(utcnow()), mail_id))

    def outbox_sending(self, mail_id: int) -> None:
        """A try starts: counted now, so a mail that keeps killing the sender is given up."""
        self.outbox_mark(mail_id, "sending", tries=1)

    def outbox_unconfirmed(self, mail_id: int, error: str | None = None) -> None:
        """The final dot is going (or went) out: from here on the mail is never sent again by itself."""
        self.outbox_mark(mail_id, "unconfirmed", error=error)

    def outbox_sent(self, mail_id: int, note: str | None = None) -> None:
        self.outbox_mark(mail_id, "sent", error=note)

    def outbox_deferred(self, mail_id: int, error: str, next_try: datetime, *, counted: bool) -> None:
        """Back to pending until ``next_try``; a try the mail is not to blame for (``counted=False``,
        the server was down) is given back."""
        self.outbox_mark(mail_id, "pending", error=error, next_try=next_try, tries=0 if counted else -1)

    def outbox_failed(self, mail_id: int, error: str) -> None:
        self.outbox_mark(mail_id, "failed", error=error)

    def outbox_suppressed(self, mail_id: int, error: str) -> None:
        """Held by the per-recipient daily cap: listed for a person, never sent by itself."""
        self.outbox_mark(mail_id, "suppressed", error=error)

    def outbox_requeue(self, mail_id: int) -> None:
        """A person asked to send a mail again: its tries and its age start afresh (the per-recipient
        daily cap still applies)."""
        with self.transaction() as db:
            db.execute("UPDATE outbox SET state='pending', attempts=0, next_try=NULL, created_at=? WHERE id=?",
                       (iso(utcnow()), mail_id))

    def sent_since(self, moment: datetime) -> int:
        return self.db.execute("SELECT COUNT(*) FROM outbox WHERE state IN ('sent', 'unconfirmed') AND sent_at >= ?",
                               (iso(moment),)).fetchone()[0]

    def outbox_recipients_since(self, moment: datetime, kinds: tuple[str, ...]) -> list[tuple[str, ...]]:
        """Recipients of each mail of these kinds sent (or possibly sent) since ``moment``: the per-recipient cap."""
        rows = self.db.execute(
            "SELECT recipients FROM outbox WHERE state IN ('sent', 'unconfirmed') AND sent_at >= ?"
            f" AND kind IN ({marks(len(kinds))})", (iso(moment), *kinds))
        return [tuple(json.loads(r[0])) for r in rows]

    def outbox_problems(self) -> list[OutboxRow]:
        """Mail that did not (or may not) reach its recipient, for `status` and the digest:
        ``failed`` (5xx, too many tries, too old), ``unconfirmed`` (the connection or the process died
        between our final dot and the server's answer: maybe delivered, never resent automatically),
        ``suppressed`` (over the per-recipient daily cap of automatic replies)."""
        rows = self.db.execute(f"SELECT {_LISTED} FROM outbox WHERE state IN ('failed', 'unconfirmed', 'suppressed')"
                               " ORDER BY id")
        return [OutboxRow.from_sql(r) for r in rows]

    def outbox(self) -> list[OutboxRow]:
        return [OutboxRow.from_sql(r) for r in self.db.execute(f"SELECT {_LISTED} FROM outbox ORDER BY id")]

    def outbox_mail(self, mail_id: int) -> OutboxRow | None:
        row = self.db.execute(f"SELECT {_LISTED} FROM outbox WHERE id=?", (mail_id,)).fetchone()
        return OutboxRow.from_sql(row) if row is not None else None
