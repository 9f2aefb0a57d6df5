"""The messages table and what hangs off a message: where it was found (sources), its files, its activities.

Every state change is one transaction: a message's results, its ``done`` mark and its acknowledgment are
committed together, so a crash leaves either all of them or none. ``attempts`` is the one count of tries
charged to a message: a claim adds one before the try (so a message that kills the worker cannot loop
forever) and sets ``claimed``; the try's end clears it; a claim still set at the next start was cut short
from outside and is given back, except the message being decided in the worker's own process (its crash).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import Iterable

from faults import checkpoint
from pipeline.ledger.base import iso, like_escape, marks, utcnow
from pipeline.ledger.outbox_table import enqueue_in
from pipeline.ledger.proposals import ACTIVITY_COLUMNS, CONFIRMED, Proposals, activity_values
from pipeline.ledger.records import Arrival, MessageResult, Outgoing
from pipeline.ledger.rows import MessageRow

_ORDER = " ORDER BY received_at, key"


class Messages(Proposals):
    # -- what admins and reports read: the admins' decisions applied, here and only here ----------

    def _seen(self, rows: Iterable[sqlite3.Row]) -> list[MessageRow]:
        """Rows as admins decided: proposals confirmed or rejected (``_decided``), then dismissals."""
        dismissed = self.dismissals()
        decisions = self.proposal_decisions()
        counts = self.activity_counts() if decisions else {}
        out = []
        for r in rows:
            message = MessageRow.from_sql(r)
            if r["key"] in decisions:
                message = _decided(message, decisions[r["key"]], counts.get(r["key"], 0))
            out.append(message.dismissed(dismissed[r["key"]]) if r["key"] in dismissed else message)
        return out

    def dismissals(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, reason FROM review_decisions WHERE action='dismiss'").fetchall())

    def messages(self) -> list[MessageRow]:
        return self._seen(self.db.execute("SELECT * FROM messages" + _ORDER))

    def message(self, key: str) -> MessageRow | None:
        found = self._seen(self.db.execute("SELECT * FROM messages WHERE key=?", (key,)))
        return found[0] if found else None

    def unit_messages(self, unit_id: str) -> list[MessageRow]:
        """The unit's processed messages, including mail of two units with a part for it (a dismissed one reads
        as processed, as everywhere)."""
        rows = self._seen(self.db.execute(
            "SELECT * FROM messages WHERE unit_id=? OR (parts IS NOT NULL AND EXISTS"
            " (SELECT 1 FROM json_each(messages.parts) WHERE json_extract(value, '$.unit_id')=?))" + _ORDER,
            (unit_id, unit_id)))
        return [m for m in rows if m.state == "done"]

    def messages_with_message_id(self, message_id: str) -> list[MessageRow]:
        return self._seen(self.db.execute("SELECT * FROM messages WHERE message_id=?" + _ORDER, (message_id,)))

    def messages_with_key_prefix(self, prefix: str) -> list[MessageRow]:
        """Messages whose key starts with ``prefix`` or with ``<prefix`` (a Message-ID typed without <>)."""
        pattern = "SELECT * FROM messages WHERE key LIKE ? ESCAPE '\\' OR key LIKE ? ESCAPE '\\'" + _ORDER
        return self._seen(self.db.execute(pattern, (like_escape(prefix) + "%", like_escape("<" + prefix) + "%")))

    def ingested(self, key: str) -> MessageRow | None:
        """What ingestion concluded, whatever an admin decided since (the worker's own view)."""
        row = self.db.execute("SELECT * FROM messages WHERE key=?", (key,)).fetchone()
        return MessageRow.from_sql(row) if row is not None else None

    # -- arrival ------------------------------------------------------------------------------

    def known_uids(self, mailbox: str, uidvalidity: int) -> set[str]:
        rows = self.db.execute("SELECT uid FROM sources WHERE mailbox=? AND uidvalidity=?", (mailbox, uidvalidity))
        return {r[0] for r in rows}

    def known_keys(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            found.update(r[0] for r in self.db.execute(f"SELECT key FROM messages WHERE key IN ({marks(len(chunk))})",
                                                       chunk))
        return found

    def record_arrivals(self, arrivals: list[Arrival]) -> int:
        """Record archived messages as pending; a message already known only gains a source row."""
        new = 0
        now = iso(utcnow())
        with self.transaction() as db:
            for a in arrivals:
                cur = db.execute(
                    "INSERT OR IGNORE INTO messages(key, sha256, message_id, arrival_at, received_at, first_seen_at)"
                    " VALUES (?,?,?,?,?,?)", (a.key, a.sha256, a.message_id, iso(a.arrival_at),
                                              iso(a.date or a.arrival_at), now))
                new += cur.rowcount
                db.execute("INSERT OR IGNORE INTO sources(mailbox, uidvalidity, uid, key) VALUES (?,?,?,?)",
                           (a.mailbox, a.uidvalidity, a.uid, a.key))
        return new

    def keys_received_between(self, since: str, until: str) -> list[str]:
        """Messages whose arrival (or Date) falls in [since, until] (ISO dates, inclusive)."""
        rows = self.db.execute(
            "SELECT key FROM messages WHERE substr(COALESCE(received_at, arrival_at, first_seen_at), 1, 10)"
            " BETWEEN ? AND ?", (since, until))
        return [r[0] for r in rows]

    # -- the worker's queue and its tries ---------------------------------------------------------

    def pending(self) -> list[MessageRow]:
        """Messages waiting to be read, oldest first (as ingested: the worker's queue, not a report)."""
        rows = self.db.execute("SELECT * FROM messages WHERE state='pending'"
                               " ORDER BY COALESCE(arrival_at, first_seen_at), key")
        return [MessageRow.from_sql(r) for r in rows]

    def claim_many(self, keys: list[str]) -> dict[str, int]:
        """Charge a try to each message before trying; one transaction for the batch. Returns key -> attempts
        including this one."""
        with self.transaction() as db:
            db.executemany("UPDATE messages SET attempts = attempts + 1, claimed = 1 WHERE key=?",
                           [(k,) for k in keys])
            return dict(db.execute(f"SELECT key, attempts FROM messages WHERE key IN ({marks(len(keys))})",
                                   keys).fetchall())

    def unclaim(self, keys: list[str]) -> None:
        """Give back tries charged to messages that were never tried (the parsers could not start)."""
        with self.transaction() as db:
            db.executemany("UPDATE messages SET attempts = MAX(0, attempts - 1), claimed = 0 WHERE key=? AND claimed",
                           [(k,) for k in keys])

    def charge_interrupted(self) -> str | None:
        """At the start of processing: a process killed from outside (power, OOM killer, an operator) must not
        charge every message it had claimed, so those tries are given back; but the message it was deciding
        in its own process (``mark_in_process``) keeps its try: that is its crash. Returns that key, if any."""
        with self.transaction() as db:
            key = db.execute("SELECT in_process FROM marks").fetchone()[0]
            db.execute("UPDATE marks SET in_process=NULL")
            row = db.execute("SELECT state, claimed FROM messages WHERE key=?", (key,)).fetchone() if key else None
            charged = key if row is not None and row[0] == "pending" and row[1] else None
            db.execute("UPDATE messages SET attempts = MAX(0, attempts - 1), claimed = 0"
                       " WHERE claimed AND key IS NOT ?", (charged,))
            db.execute("UPDATE messages SET claimed = 0 WHERE key IS ?", (charged,))
        return charged

    def requeue(self, keys: list[str]) -> int:
        """Mark messages for another pass (reingest), with no tries charged. Their acknowledgments stay
        deduplicated by the outbox."""
        with self.transaction() as db:
            return sum(db.execute("UPDATE messages SET state='pending', attempts=0, claimed=0 WHERE key=?",
                                  (key,)).rowcount for key in keys)

    # -- a try's end ------------------------------------------------------------------------------

    def commit_message(self, key: str, result: MessageResult, outgoing: Outgoing | None,
                       notices: Iterable[Outgoing] = ()) -> None:
        """Replace the message's results, mark it done and queue its reply (and notices to others,
        such as a unit whose name someone else used), all at once."""
        with self.transaction() as db:
            _replace_results(db, key, result)
            db.execute(
                "UPDATE messages SET state='done', claimed=0, last_error=NULL, outcome=?, kind=?, reason=?,"
                " unit_id=?, candidates=?, sender=?, sender_name=?, subject=?, received_at=?, late=?, carries_list=?,"
                " carries_narrative=?, narrative=?, fixes=?, notes=?, excerpt=?, processed_at=?, message_id=?,"
                " standing=?, parts=? WHERE key=?",
                (result.outcome, result.kind, result.reason, result.unit_id, _json(result.candidates), result.sender,
                 result.sender_name, result.subject, iso(result.received_at), int(result.late),
                 int(result.carries_list), int(result.carries_narrative), _json(result.narrative),
                 _json(result.fixes), _json(result.notes), result.excerpt, iso(utcnow()), result.message_id,
                 result.standing, _json([p.ledger() for p in result.parts]) if result.parts else None, key))
            for mail in ([outgoing] if outgoing is not None else []) + list(notices):
                enqueue_in(db, mail)
            units = [p.unit_id for p in result.parts] or ([result.unit_id] if result.unit_id else [])
            for unit_id in units if result.kind == "submission" else []:  # a reminder not yet sent is moot now
                db.execute("UPDATE outbox SET state='withdrawn', last_error='单位已报送，提醒撤回'"
                           " WHERE kind='reminder' AND state='pending' AND dedupe LIKE ? ESCAPE '\\'",
                           (f"reminder:{like_escape(unit_id)}:%",))
            checkpoint("commit_before")

    def record_failure(self, key: str, error: str, park: bool, result: MessageResult | None = None) -> None:
        """Keep a failed message with its error (the try stays charged); parked ones show in the dataset as
        needing review."""
        with self.transaction() as db:
            db.execute("UPDATE messages SET last_error=?, state=?, claimed=0 WHERE key=?",
                       (error[:2000], "parked" if park else "pending", key))
            if park and result is not None:
                db.execute(
                    "UPDATE messages SET outcome=?, kind=?, reason=?, sender=?, subject=?, received_at=?, late=?,"
                    " processed_at=? WHERE key=?",
                    (result.outcome, result.kind, result.reason, result.sender, result.subject,
                     iso(result.received_at), int(result.late), iso(utcnow()), key))

    # -- files and activities -------------------------------------------------------------------

    def activity_count(self, key: str | None, unit_id: str | None = None) -> int:
        """A message's activities; with ``unit_id``, only those counting for that unit (a mail of two units)."""
        if key is None:
            return 0
        if key in self.proposal_decisions("confirm"):  # a person's confirmed rows replace ingestion's
            return sum(1 for r in self.confirmed(key) if unit_id is None or r["unit_id"] == unit_id)
        if unit_id is None:
            return self.db.execute("SELECT COUNT(*) FROM activities WHERE key=? AND general=0", (key,)).fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM activities WHERE key=? AND unit_id=? AND general=0",
                               (key, unit_id)).fetchone()[0]

    def activity_counts(self) -> dict[str, int]:
        """Key activities per message: what counts toward the quota; a message whose proposals a person
        confirmed counts the confirmed rows."""
        counts = dict(self.db.execute("SELECT key, COUNT(*) FROM activities WHERE general=0 GROUP BY key").fetchall())
        counts.update(self.db.execute(
            "SELECT d.key, COUNT(c.key) FROM proposal_decisions d LEFT JOIN confirmed_activities c ON c.key = d.key"
            " WHERE d.action = 'confirm' GROUP BY d.key").fetchall())
        return counts

    def unit_activity_counts(self) -> dict[tuple[str, str], int]:
        """(message key, unit_id) -> activities: what a message counts for each unit."""
        rows = self.db.execute(f"SELECT key, unit_id, COUNT(*) FROM activities WHERE general=0 AND key NOT IN {CONFIRMED}"
                               " GROUP BY key, unit_id UNION ALL SELECT key, unit_id, COUNT(*) FROM confirmed_activities"
                               f" WHERE key IN {CONFIRMED} GROUP BY key, unit_id")
        return {(key, unit_id): n for key, unit_id, n in rows}

    def files(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM files ORDER BY key, seq").fetchall()

    def activities(self, keys: list[str] | None = None, *, general: bool = False) -> list[sqlite3.Row]:
        """Key activities (those that count), or with ``general`` the 一般活动 shown beside them. A person's
        confirmed rows (``review confirm``) replace what ingestion read as a message's key activities."""
        if general:
            table = "(SELECT * FROM activities WHERE general=1)"
        else:
            columns = "key, seq, unit_id, " + ", ".join(ACTIVITY_COLUMNS)
            table = (f"(SELECT {columns}, general FROM activities WHERE general=0 AND key NOT IN {CONFIRMED}"
                     f" UNION ALL SELECT {columns}, 0 AS general FROM confirmed_activities WHERE key IN {CONFIRMED})")
        if keys is None:
            return self.db.execute(f"SELECT * FROM {table} ORDER BY key, seq").fetchall()
        rows: list[sqlite3.Row] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows += self.db.execute(f"SELECT * FROM {table} WHERE key IN ({marks(len(chunk))}) ORDER BY key, seq",
                                    chunk)
        return rows

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for state, n in self.db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state"):
            out[f"messages_{state}"] = n
        for outcome, n in self.db.execute("SELECT outcome, COUNT(*) FROM messages WHERE state='done' GROUP BY outcome"):
            out[f"outcome_{outcome}"] = n
        for state, n in self.db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
            out[f"outbox_{state}"] = n
        out["activities"] = self.db.execute("SELECT COUNT(*) FROM activities WHERE general=0").fetchone()[0]
        return out


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _decided(message: MessageRow, decision: sqlite3.Row, confirmed: int) -> MessageRow:
    """A message whose proposals a person confirmed reads as accepted with the confirmed rows as its
    activity list; one whose proposals were rejected keeps ingestion's verdict with the decision in its
    reason. The ledger row itself keeps what ingestion concluded, so a reingest cannot undo either."""
    if message.state != "done" or message.outcome == "ignored":
        return message
    if decision["action"] == "confirm" and message.unit_id is not None:
        return replace(message, outcome="accepted", carries_list=True,
                       reason=f"已人工确认从正文/扫描件读出的{confirmed}项活动")
    if decision["action"] == "reject" and message.outcome == "needs_review":
        return replace(message, reason=f"从正文/扫描件读出的活动已判定不计入（{decision['reason'] or '管理员决定'}）")
    return message


def _replace_results(db: sqlite3.Connection, key: str, result: MessageResult) -> None:
    db.execute("DELETE FROM files WHERE key=?", (key,))
    db.execute("DELETE FROM activities WHERE key=?", (key,))
    db.execute("DELETE FROM proposals WHERE key=?", (key,))
    db.executemany(
        "INSERT INTO proposals(key, seq, title, start_date, end_date, location, organizer, format, participants,"
        " participants_offline, participants_online, source, raw, flags, confidence, evidence, page_file, page_no)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(key, i, *activity_values(p.activity), p.confidence, p.evidence, p.page and p.page.file,
          p.page and p.page.page) for i, p in enumerate(result.proposed)])
    db.executemany(
        "INSERT INTO files(key, seq, name, kind, status, error, activities) VALUES (?,?,?,?,?,?,?)",
        [(key, i, f.name, f.kind, f.status, f.error, f.activities) for i, f in enumerate(result.files)])
    ranked = ([(a, unit_id, 0) for a, unit_id in zip(result.activities, result.activity_units())]
              + [(a, result.unit_id, 1) for a in result.general_activities])
    db.executemany(
        "INSERT INTO activities(key, seq, unit_id, title, start_date, end_date, location, organizer, format,"
        " participants, participants_offline, participants_online, source, raw, flags, general)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(key, i, unit_id, *activity_values(a), general) for i, (a, unit_id, general) in enumerate(ranked)])
