"""SQLite state: the ledger of messages, their results, the outbox.

The only module that writes the database. Every state change is one transaction:
a message's results, its ``done`` mark and its acknowledgment are committed together, so
a crash leaves either all of them or none.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from faults import checkpoint
from parsers.parsed import Activity
from pipeline.ledger.records import Arrival, MessageResult, Outgoing

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    key TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    message_id TEXT,
    arrival_at TEXT,
    first_seen_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',      -- pending | done | parked
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    outcome TEXT, kind TEXT, reason TEXT,
    unit_id TEXT, candidates TEXT,
    sender TEXT, sender_name TEXT, subject TEXT,
    received_at TEXT, late INTEGER,
    carries_list INTEGER, carries_narrative INTEGER,
    narrative TEXT, fixes TEXT, notes TEXT, excerpt TEXT,
    processed_at TEXT,
    standing TEXT,                              -- own | forward | unverified (pipeline/judge/decide.py)
    parts TEXT                                  -- JSON: one entry per unit when a mail carries several units' files
);
CREATE INDEX IF NOT EXISTS messages_state ON messages(state);
CREATE INDEX IF NOT EXISTS messages_unit ON messages(unit_id);
CREATE TABLE IF NOT EXISTS sources (
    mailbox TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid TEXT NOT NULL,
    key TEXT NOT NULL REFERENCES messages(key),
    PRIMARY KEY (mailbox, uidvalidity, uid)
);
CREATE TABLE IF NOT EXISTS files (
    key TEXT NOT NULL, seq INTEGER NOT NULL,
    name TEXT, kind TEXT, status TEXT, error TEXT, activities INTEGER,
    PRIMARY KEY (key, seq)
);
CREATE TABLE IF NOT EXISTS activities (
    key TEXT NOT NULL, seq INTEGER NOT NULL, unit_id TEXT,
    title TEXT, start_date TEXT, end_date TEXT, location TEXT, organizer TEXT, format TEXT,
    participants INTEGER, participants_offline INTEGER, participants_online INTEGER,
    source TEXT, raw TEXT, flags TEXT,
    general INTEGER NOT NULL DEFAULT 0,         -- 1: 一般活动, kept and shown, never counted
    PRIMARY KEY (key, seq)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, message_key TEXT,
    recipients TEXT NOT NULL, subject TEXT, raw BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',      -- pending | sending | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try TEXT, last_error TEXT,
    created_at TEXT NOT NULL, sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state, next_try);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sender_units (      -- admin decisions: this address writes for that unit
    address TEXT PRIMARY KEY, unit_id TEXT NOT NULL, message_key TEXT, decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS review_decisions (  -- admin decisions about one message (dismiss)
    key TEXT PRIMARY KEY, action TEXT NOT NULL, reason TEXT, decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS proposals (         -- rows read from prose or scans, waiting for a person (ingestion's)
    key TEXT NOT NULL, seq INTEGER NOT NULL,
    title TEXT, start_date TEXT, end_date TEXT, location TEXT, organizer TEXT, format TEXT,
    participants INTEGER, participants_offline INTEGER, participants_online INTEGER,
    source TEXT, raw TEXT, flags TEXT, confidence REAL, evidence TEXT,
    PRIMARY KEY (key, seq)
);
CREATE TABLE IF NOT EXISTS proposal_decisions ( -- admin decisions: a message's proposals confirmed or rejected
    key TEXT PRIMARY KEY, action TEXT NOT NULL, unit_id TEXT, reason TEXT, decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS confirmed_activities (  -- the rows a person confirmed (edits applied): the message's
    key TEXT NOT NULL, seq INTEGER NOT NULL, unit_id TEXT,  -- activities from then on, whatever a reingest reads
    title TEXT, start_date TEXT, end_date TEXT, location TEXT, organizer TEXT, format TEXT,
    participants INTEGER, participants_offline INTEGER, participants_online INTEGER,
    source TEXT, raw TEXT, flags TEXT, confidence REAL, evidence TEXT,
    PRIMARY KEY (key, seq)
);
CREATE TABLE IF NOT EXISTS platform_imports (  -- the national platform's activity list: the latest import counts
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT,
    sheet TEXT, columns TEXT, notes TEXT, rows INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS platform_rows (
    import_id INTEGER NOT NULL, seq INTEGER NOT NULL, platform_id TEXT NOT NULL, title TEXT NOT NULL,
    organizer TEXT, filer TEXT, start_date TEXT, end_date TEXT, location TEXT, region TEXT, format TEXT,
    section TEXT, status TEXT, line INTEGER, extra TEXT,
    PRIMARY KEY (import_id, seq)
);
CREATE TABLE IF NOT EXISTS audit (             -- who did what, when: every admin action (command line or console)
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT, detail TEXT, outcome TEXT, ok INTEGER NOT NULL
);
"""
SCHEMA_VERSION = 2  # 2: proposals, proposal_decisions, confirmed_activities (created by SCHEMA on an old ledger)
ACTIVITY_COLUMNS = ("title", "start_date", "end_date", "location", "organizer", "format", "participants",
                    "participants_offline", "participants_online", "source", "raw", "flags")
# Tables added after ledgers existed: created by _migrate, so an old ledger opens and gains them.
PICKS = """
CREATE TABLE IF NOT EXISTS picks (             -- the office's choice of units and activities to commend
    kind TEXT NOT NULL, target TEXT NOT NULL,  -- kind: unit | activity (target: unit_id or shortlist.activity_key)
    label TEXT, actor TEXT NOT NULL, picked_at TEXT NOT NULL,
    PRIMARY KEY (kind, target)
);
"""


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class Store:
    def __init__(self, path: Path, busy_timeout: float = 30):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=busy_timeout)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Columns added after a ledger was created (ALTER TABLE is idempotent by this check)."""
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(messages)")}
        if "standing" not in columns:
            self.db.execute("ALTER TABLE messages ADD COLUMN standing TEXT")
        if self.db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self.db.executescript(PICKS)
        if "general" not in {r[1] for r in self.db.execute("PRAGMA table_info(activities)")}:
            self.db.execute("ALTER TABLE activities ADD COLUMN general INTEGER NOT NULL DEFAULT 0")
        if "parts" not in columns:
            self.db.execute("ALTER TABLE messages ADD COLUMN parts TEXT")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- the ledger ---------------------------------------------------------------------------

    def known_uids(self, mailbox: str, uidvalidity: int) -> set[str]:
        rows = self.db.execute("SELECT uid FROM sources WHERE mailbox=? AND uidvalidity=?", (mailbox, uidvalidity))
        return {r[0] for r in rows}

    def known_keys(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(f"SELECT key FROM messages WHERE key IN ({marks})", chunk))
        return found

    def record_arrivals(self, arrivals: list[Arrival]) -> int:
        """Record archived messages as pending; a message already known only gains a source row."""
        new = 0
        now = _iso(utcnow())
        with self.transaction() as db:
            for a in arrivals:
                cur = db.execute(
                    "INSERT OR IGNORE INTO messages(key, sha256, message_id, arrival_at, received_at, first_seen_at)"
                    " VALUES (?,?,?,?,?,?)", (a.key, a.sha256, a.message_id, _iso(a.arrival_at),
                                              _iso(a.date or a.arrival_at), now))
                new += cur.rowcount
                db.execute("INSERT OR IGNORE INTO sources(mailbox, uidvalidity, uid, key) VALUES (?,?,?,?)",
                           (a.mailbox, a.uidvalidity, a.uid, a.key))
        return new

    def pending(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT key, sha256, arrival_at, attempts FROM messages WHERE state='pending'"
            " ORDER BY COALESCE(arrival_at, first_seen_at), key").fetchall()

    def claim_many(self, keys: list[str]) -> dict[str, int]:
        """Count an attempt for each message before trying, so a message that kills the worker cannot
        loop forever; one transaction for the batch. Returns key -> attempts including this one."""
        with self.transaction() as db:
            db.executemany("UPDATE messages SET attempts = attempts + 1 WHERE key=?", [(k,) for k in keys])
            marks = ",".join("?" * len(keys))
            return dict(db.execute(f"SELECT key, attempts FROM messages WHERE key IN ({marks})", keys).fetchall())

    # -- crash accounting: the message this process was deciding when it died ------------------

    def mark_in_process(self, key: str) -> None:
        self.set_state("in_process", key)

    def charge_interrupted(self) -> str | None:
        """At the start of processing. A claim counts an attempt before trying, so a message that kills
        the process cannot loop forever; but a process killed from outside (power, OOM killer, an
        operator) must not charge every message it had claimed. So: if the last process died while
        deciding a message in-process (``mark_in_process``), that message alone gets a crash; then the
        attempts of all pending messages are reset to what they really cost: recorded failures +
        crashes. Returns the key charged, if any."""
        key = self.get_state("in_process")
        charged = None
        with self.transaction() as db:
            if key:
                db.execute("UPDATE state SET value='' WHERE name='in_process'")
                row = db.execute("SELECT state FROM messages WHERE key=?", (key,)).fetchone()
                if row is not None and row[0] == "pending":
                    db.execute("INSERT INTO state(name, value) VALUES (?, '1') ON CONFLICT(name) DO UPDATE SET"
                               " value = CAST(value AS INTEGER) + 1", (f"crashes:{key}",))
                    charged = key
            db.execute(
                "UPDATE messages SET attempts ="
                " COALESCE((SELECT CAST(value AS INTEGER) FROM state WHERE name = 'failures:' || messages.key), 0)"
                " + COALESCE((SELECT CAST(value AS INTEGER) FROM state WHERE name = 'crashes:' || messages.key), 0)"
                " WHERE state = 'pending' AND attempts > 0")
        return charged

    def unclaim(self, keys: list[str]) -> None:
        """Give back attempts counted for messages that were never tried (the parsers could not start)."""
        with self.transaction() as db:
            db.executemany("UPDATE messages SET attempts = MAX(0, attempts - 1) WHERE key=?", [(k,) for k in keys])

    def commit_message(self, key: str, result: MessageResult, outgoing: Outgoing | None,
                       notices: Sequence[Outgoing] = ()) -> None:
        """Replace the message's results, mark it done and queue its reply (and notices to others,
        such as a unit whose name someone else used), all at once."""
        with self.transaction() as db:
            db.execute("DELETE FROM files WHERE key=?", (key,))
            db.execute("DELETE FROM activities WHERE key=?", (key,))
            db.execute("DELETE FROM proposals WHERE key=?", (key,))
            db.executemany(
                "INSERT INTO proposals(key, seq, title, start_date, end_date, location, organizer, format, participants,"
                " participants_offline, participants_online, source, raw, flags, confidence, evidence)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(key, i, *_activity_values(p.activity), p.confidence, p.evidence)
                 for i, p in enumerate(result.proposed)])
            db.executemany(
                "INSERT INTO files(key, seq, name, kind, status, error, activities) VALUES (?,?,?,?,?,?,?)",
                [(key, i, f.name, f.kind, f.status, f.error, f.activities) for i, f in enumerate(result.files)])
            ranked = ([(a, unit_id, 0) for a, unit_id in zip(result.activities, result.activity_units())]
                      + [(a, result.unit_id, 1) for a in result.general_activities])
            db.executemany(
                "INSERT INTO activities(key, seq, unit_id, title, start_date, end_date, location, organizer, format,"
                " participants, participants_offline, participants_online, source, raw, flags, general)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(key, i, unit_id, *_activity_values(a), general) for i, (a, unit_id, general) in enumerate(ranked)])
            db.execute(
                "UPDATE messages SET state='done', last_error=NULL, outcome=?, kind=?, reason=?, unit_id=?,"
                " candidates=?, sender=?, sender_name=?, subject=?, received_at=?, late=?, carries_list=?,"
                " carries_narrative=?, narrative=?, fixes=?, notes=?, excerpt=?, processed_at=?, message_id=?,"
                " standing=?, parts=? WHERE key=?",
                (result.outcome, result.kind, result.reason, result.unit_id, json.dumps(result.candidates,
                 ensure_ascii=False), result.sender, result.sender_name, result.subject,
                 _iso(result.received_at), int(result.late), int(result.carries_list), int(result.carries_narrative),
                 json.dumps(result.narrative, ensure_ascii=False), json.dumps(result.fixes, ensure_ascii=False),
                 json.dumps(result.notes, ensure_ascii=False), result.excerpt, _iso(utcnow()), result.message_id,
                 result.standing, json.dumps([p.ledger() for p in result.parts], ensure_ascii=False)
                 if result.parts else None, key))
            for mail in ([outgoing] if outgoing is not None else []) + list(notices):
                self._enqueue(db, mail)
            units = [p.unit_id for p in result.parts] or ([result.unit_id] if result.unit_id else [])
            for unit_id in units if result.kind == "submission" else []:  # a reminder not yet sent is moot now
                db.execute("UPDATE outbox SET state='withdrawn', last_error='单位已报送，提醒撤回'"
                           " WHERE kind='reminder' AND state='pending' AND dedupe LIKE ? ESCAPE '\\'",
                           (f"reminder:{_like_escape(unit_id)}:%",))
            checkpoint("commit_before")

    def record_failure(self, key: str, error: str, park: bool, result: MessageResult | None = None) -> None:
        """Keep a failed message with its error; parked ones show in the dataset as needing review."""
        with self.transaction() as db:
            db.execute("UPDATE messages SET last_error=?, state=? WHERE key=?",
                       (error[:2000], "parked" if park else "pending", key))
            db.execute("INSERT INTO state(name, value) VALUES (?, '1') ON CONFLICT(name) DO UPDATE SET"
                       " value = CAST(value AS INTEGER) + 1", (f"failures:{key}",))
            if park and result is not None:
                db.execute(
                    "UPDATE messages SET outcome=?, kind=?, reason=?, sender=?, subject=?, received_at=?, late=?,"
                    " processed_at=? WHERE key=?",
                    (result.outcome, result.kind, result.reason, result.sender, result.subject,
                     _iso(result.received_at), int(result.late), _iso(utcnow()), key))

    def requeue(self, keys: list[str]) -> int:
        """Mark messages for another pass (reingest). Their acknowledgments stay deduplicated by the outbox."""
        with self.transaction() as db:
            db.executemany("DELETE FROM state WHERE name IN (?, ?)",
                           [(f"failures:{key}", f"crashes:{key}") for key in keys])
            return sum(db.execute("UPDATE messages SET state='pending', attempts=0 WHERE key=?", (key,)).rowcount
                       for key in keys)

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
        rows = self.db.execute("SELECT key, unit_id, COUNT(*) FROM activities WHERE general=0 AND key NOT IN"
                               " (SELECT key FROM proposal_decisions WHERE action='confirm') GROUP BY key, unit_id"
                               " UNION ALL SELECT key, unit_id, COUNT(*) FROM confirmed_activities WHERE key IN"
                               " (SELECT key FROM proposal_decisions WHERE action='confirm') GROUP BY key, unit_id")
        return {(key, unit_id): n for key, unit_id, n in rows}

    def keys_received_between(self, since: str, until: str) -> list[str]:
        """Messages whose arrival (or Date) falls in [since, until] (ISO dates, inclusive)."""
        rows = self.db.execute(
            "SELECT key FROM messages WHERE substr(COALESCE(received_at, arrival_at, first_seen_at), 1, 10)"
            " BETWEEN ? AND ?", (since, until))
        return [r[0] for r in rows]

    # -- reading the dataset --------------------------------------------------------------------

    def messages(self) -> list[sqlite3.Row | dict[str, Any]]:
        rows = self._with_proposal_decisions(
            self.db.execute("SELECT * FROM messages ORDER BY received_at, key").fetchall())
        dismissed = self.dismissals()
        return [_dismissed(r, dismissed[r["key"]]) if r["key"] in dismissed else r for r in rows] \
            if dismissed else rows

    def message(self, key: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM messages WHERE key=?", (key,)).fetchone()

    def unit_messages(self, unit_id: str) -> list[sqlite3.Row]:
        """The unit's processed messages, including mail of two units with a part for it."""
        return self._with_proposal_decisions(self.db.execute(
            "SELECT * FROM messages WHERE state='done' AND (unit_id=? OR (parts IS NOT NULL AND EXISTS"
            " (SELECT 1 FROM json_each(messages.parts) WHERE json_extract(value, '$.unit_id')=?)))"
            " ORDER BY received_at, key", (unit_id, unit_id)).fetchall())

    def files(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM files ORDER BY key, seq").fetchall()

    def activities(self, keys: list[str] | None = None, *, general: bool = False) -> list[sqlite3.Row]:
        """Key activities (those that count), or with ``general`` the 一般活动 shown beside them. A person's
        confirmed rows (``review confirm``) replace what ingestion read as a message's key activities."""
        if general:
            table = "(SELECT * FROM activities WHERE general=1)"
        else:
            columns = "key, seq, unit_id, " + ", ".join(ACTIVITY_COLUMNS)
            table = (f"(SELECT {columns}, general FROM activities WHERE general=0 AND key NOT IN"
                     " (SELECT key FROM proposal_decisions WHERE action='confirm')"
                     f" UNION ALL SELECT {columns}, 0 AS general FROM confirmed_activities"
                     "  WHERE key IN (SELECT key FROM proposal_decisions WHERE action='confirm'))")
        if keys is None:
            return self.db.execute(f"SELECT * FROM {table} ORDER BY key, seq").fetchall()
        rows: list[sqlite3.Row] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(f"SELECT * FROM {table} WHERE key IN ({marks}) ORDER BY key, seq", chunk)
        return rows

    # -- proposals: rows read from prose or scans, and a person's decision about them ------------

    def proposals(self, keys: list[str] | None = None) -> list[sqlite3.Row]:
        if keys is None:
            return self.db.execute("SELECT * FROM proposals ORDER BY key, seq").fetchall()
        marks = ",".join("?" * len(keys))
        return self.db.execute(f"SELECT * FROM proposals WHERE key IN ({marks}) ORDER BY key, seq", keys).fetchall()

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
            self._decide_proposals(db, key, "confirm", unit_id, None)

    def reject_proposals(self, key: str, reason: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM confirmed_activities WHERE key=?", (key,))
            self._decide_proposals(db, key, "reject", None, reason)

    @staticmethod
    def _decide_proposals(db: sqlite3.Connection, key: str, action: str, unit_id: str | None,
                          reason: str | None) -> None:
        db.execute("INSERT INTO proposal_decisions(key, action, unit_id, reason, decided_at) VALUES (?,?,?,?,?)"
                   " ON CONFLICT(key) DO UPDATE SET action=excluded.action, unit_id=excluded.unit_id,"
                   " reason=excluded.reason, decided_at=excluded.decided_at",
                   (key, action, unit_id, reason, _iso(utcnow())))

    def _with_proposal_decisions(self, rows: list[sqlite3.Row]) -> list:
        decisions = self.proposal_decisions()
        if not decisions:
            return rows
        counts = self.activity_counts()
        return [_decided(r, decisions[r["key"]], counts.get(r["key"], 0)) if r["key"] in decisions else r
                for r in rows]

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

    # -- the outbox -----------------------------------------------------------------------------

    @staticmethod
    def _enqueue(db: sqlite3.Connection, mail: Outgoing) -> bool:
        cur = db.execute(
            "INSERT OR IGNORE INTO outbox(dedupe, kind, message_key, recipients, subject, raw, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (mail.dedupe, mail.kind, mail.message_key, json.dumps(mail.recipients), mail.subject, mail.raw,
             _iso(utcnow())))
        return cur.rowcount == 1

    def enqueue(self, mail: Outgoing) -> bool:
        if mail.kind == "digest":
            checkpoint("digest_built")
        with self.transaction() as db:
            queued = self._enqueue(db, mail)
        if mail.kind == "digest":
            checkpoint("digest_queued")
        return queued

    def outbox_due(self, now: datetime, limit: int = 100) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM outbox WHERE state IN ('pending', 'sending') AND (next_try IS NULL OR next_try <= ?)"
            " ORDER BY id LIMIT ?", (_iso(now), limit)).fetchall()

    def outbox_mark(self, mail_id: int, state: str, *, error: str | None = None,
                    next_try: datetime | None = None, tries: int = 0) -> None:
        """Set a mail's state (and add ``tries`` to its count); the named methods below say why."""
        # one statement: atomic on its own (autocommit), no BEGIN/COMMIT round trips per mail sent
        self.db.execute(
            "UPDATE outbox SET state=?, last_error=COALESCE(?, last_error), next_try=?,"
            " attempts = attempts + ?, sent_at = CASE WHEN ? IN ('sent', 'unconfirmed') THEN ? ELSE sent_at END"
            " WHERE id=?",
            (state, error, _iso(next_try), tries, state, _iso(utcnow()), mail_id))

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
                       (_iso(utcnow()), mail_id))

    def sent_since(self, moment: datetime) -> int:
        return self.db.execute("SELECT COUNT(*) FROM outbox WHERE state IN ('sent', 'unconfirmed') AND sent_at >= ?",
                               (_iso(moment),)).fetchone()[0]

    def outbox_sent_since(self, moment: datetime, kinds: tuple[str, ...]) -> list[sqlite3.Row]:
        """Recipients of mail of these kinds sent (or possibly sent) since ``moment``: the per-recipient cap."""
        marks = ",".join("?" * len(kinds))
        return self.db.execute(
            f"SELECT recipients FROM outbox WHERE state IN ('sent', 'unconfirmed') AND sent_at >= ? AND kind IN ({marks})",
            (_iso(moment), *kinds)).fetchall()

    def outbox_problems(self) -> list[sqlite3.Row]:
        """Mail that did not (or may not) reach its recipient, for `status` and the digest:
        ``failed`` (5xx, too many tries, too old), ``unconfirmed`` (the connection or the process died
        between our final dot and the server's answer: maybe delivered, never resent automatically),
        ``suppressed`` (over the per-recipient daily cap of automatic replies)."""
        return self.db.execute(
            "SELECT id, dedupe, kind, message_key, recipients, subject, state, attempts, last_error, created_at,"
            " sent_at FROM outbox WHERE state IN ('failed', 'unconfirmed', 'suppressed') ORDER BY id").fetchall()

    def outbox(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT id, dedupe, kind, message_key, recipients, subject, state, attempts,"
                               " next_try, last_error, created_at, sent_at FROM outbox ORDER BY id").fetchall()

    # -- admin decisions (the review loop) ------------------------------------------------------

    def remember_sender(self, address: str, unit_id: str, key: str | None) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO sender_units(address, unit_id, message_key, decided_at) VALUES (?,?,?,?)"
                       " ON CONFLICT(address) DO UPDATE SET unit_id=excluded.unit_id,"
                       " message_key=excluded.message_key, decided_at=excluded.decided_at",
                       (address.strip().lower(), unit_id, key, _iso(utcnow())))

    def remembered_senders(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT address, unit_id FROM sender_units").fetchall())

    def dismiss(self, key: str, reason: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO review_decisions(key, action, reason, decided_at) VALUES (?, 'dismiss', ?, ?)"
                       " ON CONFLICT(key) DO UPDATE SET action='dismiss', reason=excluded.reason,"
                       " decided_at=excluded.decided_at", (key, reason, _iso(utcnow())))

    def undismiss(self, key: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM review_decisions WHERE key=? AND action='dismiss'", (key,)).rowcount == 1

    def dismissals(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, reason FROM review_decisions WHERE action='dismiss'").fetchall())

    # -- the national platform's list --------------------------------------------------------------

    def replace_platform_list(self, file: str, sha256: str, sheet: str, columns: dict[str, str],
                              notes: list[str], rows: list[dict]) -> int:
        """Store an imported list in place of the previous one (one transaction); returns its import id.
        ``rows``: dicts with the columns of ``platform_rows`` (dates ISO, ``extra`` a dict)."""
        fields = ("platform_id", "title", "organizer", "filer", "start_date", "end_date", "location", "region",
                  "format", "section", "status", "line")
        with self.transaction() as db:
            db.execute("DELETE FROM platform_rows")
            db.execute("DELETE FROM platform_imports")
            import_id = db.execute(
                "INSERT INTO platform_imports(at, file, sha256, sheet, columns, notes, rows) VALUES (?,?,?,?,?,?,?)",
                (_iso(utcnow()), file, sha256, sheet, json.dumps(columns, ensure_ascii=False),
                 json.dumps(notes, ensure_ascii=False), len(rows))).lastrowid
            db.executemany(
                f"INSERT INTO platform_rows(import_id, seq, {', '.join(fields)}, extra)"
                f" VALUES (?, ?, {', '.join('?' * len(fields))}, ?)",
                [(import_id, i, *(r.get(f) for f in fields), json.dumps(r.get("extra") or {}, ensure_ascii=False))
                 for i, r in enumerate(rows)])
        return int(import_id or 0)

    def platform_import(self) -> sqlite3.Row | None:
        """The current import (file, when, columns found), or None when no list was ever imported."""
        return self.db.execute("SELECT * FROM platform_imports ORDER BY id DESC LIMIT 1").fetchone()

    def platform_rows(self) -> list[dict]:
        rows = self.db.execute("SELECT * FROM platform_rows WHERE import_id = (SELECT MAX(id) FROM platform_imports)"
                               " ORDER BY seq").fetchall()
        return [{**{k: r[k] for k in r.keys()}, "extra": json.loads(r["extra"] or "{}")} for r in rows]

    # -- the audit trail ------------------------------------------------------------------------

    def record_action(self, actor: str, action: str, target: str | None, detail: str | None, outcome: str,
                      ok: bool) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO audit(at, actor, action, target, detail, outcome, ok) VALUES (?,?,?,?,?,?,?)",
                       (_iso(utcnow()), actor, action, target, detail, outcome[:2000], int(ok)))

    def audit_log(self, limit: int = 200) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()

    # -- the commendation picks ------------------------------------------------------------------

    def set_pick(self, kind: str, target: str, label: str, actor: str) -> bool:
        """Record a pick; False when it was already picked (the first pick's actor and time stay)."""
        with self.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO picks(kind, target, label, actor, picked_at) VALUES (?,?,?,?,?)",
                              (kind, target, label, actor, _iso(utcnow()))).rowcount == 1

    def drop_pick(self, kind: str, target: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM picks WHERE kind=? AND target=?", (kind, target)).rowcount == 1

    def picks(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM picks ORDER BY kind, picked_at, target").fetchall()

    def ledger_version(self) -> tuple:
        """Changes whenever a message is recorded or processed or an admin decides: a cache key."""
        return tuple(self.db.execute(
            "SELECT COUNT(*), MAX(processed_at), MAX(first_seen_at),"
            " (SELECT COUNT(*) || MAX(decided_at) FROM review_decisions),"
            " (SELECT COUNT(*) || MAX(decided_at) FROM proposal_decisions),"
            " (SELECT MAX(id) FROM platform_imports)"
            " FROM messages").fetchone())

    # -- small named values ---------------------------------------------------------------------

    def get_state(self, name: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE name=?", (name,)).fetchone()
        return row[0] if row else default

    def set_state(self, name: str, value: str) -> None:
        # one statement: atomic on its own (autocommit); it also joins a transaction already open
        self.db.execute("INSERT INTO state(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value=excluded.value",
                        (name, value))


def _activity_values(a: Activity) -> tuple:
    """An activity as the values of ``ACTIVITY_COLUMNS``."""
    return (a.title, a.start_date and a.start_date.isoformat(), a.end_date and a.end_date.isoformat(), a.location,
            a.organizer, a.format, a.participants, a.participants_offline, a.participants_online, a.source,
            json.dumps(a.raw, ensure_ascii=False), ",".join(a.flags))


def _decided(row: sqlite3.Row, decision: sqlite3.Row, confirmed: int) -> sqlite3.Row | dict:
    """A message whose proposals a person confirmed reads as accepted with the confirmed rows as its
    activity list; one whose proposals were rejected keeps ingestion's verdict with the decision in its
    reason. The ledger row itself keeps what ingestion concluded, so a reingest cannot undo either."""
    if row["state"] != "done" or row["outcome"] == "ignored":
        return row
    out = {k: row[k] for k in row.keys()}
    if decision["action"] == "confirm" and row["unit_id"] is not None:
        out.update(outcome="accepted", carries_list=1, reason=f"已人工确认从正文/扫描件读出的{confirmed}项活动")
    elif decision["action"] == "reject" and row["outcome"] == "needs_review":
        out.update(reason=f"从正文/扫描件读出的活动已判定不计入（{decision['reason'] or '管理员决定'}）")
    else:
        return row
    return out


def _dismissed(row: sqlite3.Row, reason: str) -> dict:
    """A message an admin dismissed reads as ``ignored`` with the admin's reason (the ledger row itself
    keeps what ingestion concluded, so a reingest cannot undo the decision and it can be revoked)."""
    out = {k: row[k] for k in row.keys()}
    out.update(state="done", outcome="ignored", kind="dismissed", reason=f"管理员已排除：{reason}")
    return out
