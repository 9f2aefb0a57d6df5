"""The ledger's tables and how an older ledger is brought up to date.

``BASE`` is the ledger as it stood before versions were kept (``PRAGMA user_version`` 0). Every change
since is one step in ``STEPS``, applied in order, each in its own transaction, and the step's number
becomes the ledger's ``user_version``. A new ledger goes through the same steps as an old one, so the
path an old ledger takes is the path every test takes. To change the schema: append a step.
"""
from __future__ import annotations

import sqlite3
from typing import Callable

BASE = """
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
    standing TEXT                               -- own | forward | unverified (pipeline/judge/decide.py)
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
    PRIMARY KEY (key, seq)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, message_key TEXT,
    recipients TEXT NOT NULL, subject TEXT, raw BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',      -- see ledger/rows.py OutboxRow
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
CREATE TABLE IF NOT EXISTS audit (             -- who did what, when: every admin action (command line or console)
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT, detail TEXT, outcome TEXT, ok INTEGER NOT NULL
);
"""


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}


def _standing(db: sqlite3.Connection) -> None:
    """messages.standing: ledgers from before it existed lack the column (BASE has it)."""
    if "standing" not in _columns(db, "messages"):
        db.execute("ALTER TABLE messages ADD COLUMN standing TEXT")


MARKS = """
CREATE TABLE marks (                            -- one row: what the worker last did, named
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_poll TEXT, last_poll_report TEXT,      -- when the last poll ended, and its one-line report
    last_digest_day TEXT,                       -- the campaign-local day the worker last sent the digest
    last_digest_at TEXT,                        -- when the last digest was queued
    smtp_failures INTEGER NOT NULL DEFAULT 0,   -- consecutive flushes that found the SMTP server unusable
    smtp_retry_at TEXT,                         -- and when the next flush may try
    in_process TEXT                             -- the message being decided in the worker's own process
)"""


def _state_value(db: sqlite3.Connection, name: str) -> str | None:
    row = db.execute("SELECT value FROM state WHERE name=?", (name,)).fetchone()
    return row[0] if row and row[0] != "" else None


def _typed_marks(db: sqlite3.Connection) -> None:
    """The ``state`` name/value bag becomes the ``marks`` row and ``messages.claimed``; the attempts of
    waiting messages become what they cost (recorded failures + crashes), as the old start-up did."""
    db.execute(MARKS)
    db.execute("ALTER TABLE messages ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0")
    outage = (_state_value(db, "smtp_outage") or "").partition(" ")
    crashed = _state_value(db, "in_process")
    db.execute("INSERT INTO marks(id, last_poll, last_poll_report, last_digest_day, last_digest_at, smtp_failures,"
               " smtp_retry_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
               (_state_value(db, "last_poll"), _state_value(db, "last_poll_report"),
                _state_value(db, "last_digest_day"), _state_value(db, "last_digest_at"),
                int(outage[0]) if outage[0].isdigit() else 0, outage[2] or None))
    db.execute(
        "UPDATE messages SET attempts ="
        " COALESCE((SELECT CAST(value AS INTEGER) FROM state WHERE name = 'failures:' || messages.key), 0)"
        " + COALESCE((SELECT CAST(value AS INTEGER) FROM state WHERE name = 'crashes:' || messages.key), 0)"
        " + (messages.key IS ?) WHERE state = 'pending' AND attempts > 0", (crashed,))
    db.execute("DROP TABLE state")


def _picks(db: sqlite3.Connection) -> None:
    db.execute("""
CREATE TABLE IF NOT EXISTS picks (             -- the office's choice of units and activities to commend
    kind TEXT NOT NULL, target TEXT NOT NULL,  -- kind: unit | activity (target: unit_id or shortlist.activity_key)
    label TEXT, actor TEXT NOT NULL, picked_at TEXT NOT NULL,
    PRIMARY KEY (kind, target)
)""")


def _general_activities(db: sqlite3.Connection) -> None:
    """activities.general: 1 for a 一般活动, kept and shown, never counted (ledgers of main before versions may
    have it already)."""
    if "general" not in _columns(db, "activities"):
        db.execute("ALTER TABLE activities ADD COLUMN general INTEGER NOT NULL DEFAULT 0")


PLATFORM = """
CREATE TABLE IF NOT EXISTS platform_imports (  -- the national platform's activity list: the latest import counts
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT,
    sheet TEXT, columns TEXT, notes TEXT, rows INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS platform_rows (
    import_id INTEGER NOT NULL, seq INTEGER NOT NULL, platform_id TEXT NOT NULL, title TEXT NOT NULL,
    organizer TEXT, filer TEXT, start_date TEXT, end_date TEXT, location TEXT, region TEXT, format TEXT,
    section TEXT, status TEXT, line INTEGER, extra TEXT,
    PRIMARY KEY (import_id, seq)
)"""


def _platform(db: sqlite3.Connection) -> None:
    for statement in _statements(PLATFORM):
        db.execute(statement)


def _parts(db: sqlite3.Connection) -> None:
    """messages.parts: JSON, one entry per unit when a mail carries several units' files (ledgers of main
    before versions may have it already)."""
    if "parts" not in _columns(db, "messages"):
        db.execute("ALTER TABLE messages ADD COLUMN parts TEXT")


PROPOSALS = """
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
)"""


def _proposals(db: sqlite3.Connection) -> None:
    for statement in _statements(PROPOSALS):
        db.execute(statement)


def _proposal_pages(db: sqlite3.Connection) -> None:
    """proposals.page_file, page_no: the page of which file a row read from a scan was read from (None for
    prose), so that the review page shows the page beside the row."""
    have = _columns(db, "proposals")
    for column, kind in (("page_file", "TEXT"), ("page_no", "INTEGER")):
        if column not in have:
            db.execute(f"ALTER TABLE proposals ADD COLUMN {column} {kind}")


# Version 2 is what main's ledgers called the proposals tables before this list existed; the steps that
# follow it are idempotent because such ledgers may hold their tables or columns already.
STEPS: list[tuple[int, str, Callable[[sqlite3.Connection], None]]] = [
    (1, "messages.standing", _standing),
    (2, "proposals, proposal_decisions, confirmed_activities", _proposals),
    (3, "picks: what the office commends", _picks),
    (4, "activities.general", _general_activities),
    (5, "the national platform's list", _platform),
    (6, "messages.parts", _parts),
    (7, "marks row and messages.claimed replace the state bag", _typed_marks),
    (8, "proposals.page_file, page_no", _proposal_pages),
]
LATEST = STEPS[-1][0]


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def migrate(db: sqlite3.Connection) -> int:
    """Bring the ledger to ``LATEST``; returns the version it had. Safe when two processes open it at once:
    each step runs under the write lock and re-reads the version first."""
    before = db.execute("PRAGMA user_version").fetchone()[0]
    if before >= LATEST:
        return before
    for number, _what, step in STEPS:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0 and number == 1:
                for statement in _statements(BASE):
                    db.execute(statement)
            if version < number:
                step(db)
                db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return before
