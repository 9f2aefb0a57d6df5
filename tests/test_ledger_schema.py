"""The ledger's schema over time: a ledger written by an older release opens and is brought up to date;
typed rows; dismissals read alike everywhere; SQLite faults recognised by their codes."""
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from outbox import OutboxError
from outbox.smtp import PermanentError
from parsers import ParserError
from parsers.spreadsheet import SpreadsheetError
from pipeline import PROJECT_ERRORS, PipelineError
from pipeline.config import ConfigError
from pipeline.failures import is_disk_full, is_ledger_locked, is_machine_fault
from pipeline.ledger.schema import LATEST, STEPS
from pipeline.ledger.store import Store
from pipeline.locks import Busy

OLD_DUMP = Path(__file__).parent / "data" / "ledger_905c317.sql"  # made by data/make_ledger_905c317.py


def old_ledger(folder: Path) -> Path:
    path = folder / "ledger.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(OLD_DUMP.read_text(encoding="utf-8"))
    db.close()
    return path


def test_a_ledger_from_before_versions_opens_and_is_upgraded(tmp_path):
    store = Store(old_ledger(tmp_path))
    assert (store.upgraded_from, store.db.execute("PRAGMA user_version").fetchone()[0]) == (0, LATEST)
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "state" not in tables and "marks" in tables
    # tries as the old start-up would have counted them: recorded failures + the crash of the message in hand
    assert {m.key: m.attempts for m in store.pending()} == {"<old-0@example.org>": 1, "<old-1@example.org>": 1,
                                                             "<old-2@example.org>": 0}
    assert store.charge_interrupted() is None  # the crash was charged by the upgrade, not again
    assert {m.key: m.attempts for m in store.pending()}["<old-1@example.org>"] == 1
    assert store.last_poll() == ("2025-09-15T12:05:00+00:00", "4 fetched, 4 new")
    assert store.last_digest_day() == "2025-09-15"
    assert store.last_digest_at() == datetime(2025, 9, 15, tzinfo=timezone.utc)
    assert store.smtp_outage() == (2, datetime(2025, 9, 15, 12, 30, tzinfo=timezone.utc))
    [mail] = store.outbox()
    assert (mail.kind, mail.recipients, mail.state) == ("ack", ("a@126.com",), "pending")
    assert store.audit_log()[0].action == "dismiss"
    store.close()
    again = Store(tmp_path / "ledger.sqlite3")
    assert again.upgraded_from == LATEST  # nothing to do the second time


def test_dismissals_read_the_same_from_every_reader(tmp_path):
    store = Store(old_ledger(tmp_path))
    key = "<old-3@example.org>"
    store.db.execute("UPDATE messages SET unit_id='lunan' WHERE key=?", (key,))
    seen = [store.message(key), next(m for m in store.messages() if m.key == key), *store.unit_messages("lunan")]
    assert len(seen) == 3
    for message in seen:
        assert (message.state, message.outcome, message.kind) == ("done", "ignored", "dismissed")
        assert message.reason == "管理员已排除：已电话答复" and message.dismissal == "已电话答复"
    assert store.ingested(key).kind == "question"  # what ingestion concluded stays underneath
    assert store.undismiss(key) and store.message(key).kind == "question"


def test_every_step_runs_once_in_order(tmp_path):
    assert [number for number, _, _ in STEPS] == list(range(1, LATEST + 1))
    store = Store(tmp_path / "fresh.sqlite3")
    assert store.upgraded_from == 0 and store.last_poll() == (None, None) and store.smtp_outage() == (0, None)


def test_sqlite_faults_are_known_by_their_codes(tmp_path):
    path = tmp_path / "x.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t(x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("SELECT * FROM t").fetchall()
    assert is_ledger_locked(locked.value) and not is_disk_full(locked.value)
    holder.execute("ROLLBACK")
    holder.execute("PRAGMA max_page_count = 3")  # a database that cannot grow: what a full disk looks like
    with pytest.raises(sqlite3.OperationalError) as full:
        holder.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    assert is_disk_full(full.value) and is_machine_fault(full.value) and not is_ledger_locked(full.value)
    # the words alone no longer count: a message's own error that mentions them is not the machine's
    assert not is_machine_fault(sqlite3.OperationalError("table full of locked rows"))


def test_the_projects_errors_share_one_base_per_package():
    assert issubclass(ConfigError, PipelineError) and issubclass(Busy, PipelineError)
    assert issubclass(SpreadsheetError, ParserError) and issubclass(PermanentError, OutboxError)
    assert all(issubclass(e, PROJECT_ERRORS) for e in (ConfigError, SpreadsheetError, PermanentError))


def test_a_ledger_main_marked_version_2_goes_through_the_later_steps(tmp_path):
    """Before this list of steps, main set user_version 2 when it added the proposals tables (and added picks,
    platform tables and columns unversioned): such a ledger takes steps 3 onwards, each idempotent."""
    from pipeline.ledger.schema import PROPOSALS, _statements

    path = old_ledger(tmp_path)
    db = sqlite3.connect(path)
    for statement in _statements(PROPOSALS):
        db.execute(statement)
    db.execute("ALTER TABLE activities ADD COLUMN general INTEGER NOT NULL DEFAULT 0")  # as main's _migrate did
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    store = Store(path)
    assert (store.upgraded_from, store.db.execute("PRAGMA user_version").fetchone()[0]) == (2, LATEST)
    assert store.last_poll() == ("2025-09-15T12:05:00+00:00", "4 fetched, 4 new") and store.picks() == []
    assert {m.key: m.attempts for m in store.pending()}["<old-0@example.org>"] == 1
