"""`serve`: the schedule in the campaign's time zone, one worker per data_dir, clean stop on SIGTERM,
IMAP IDLE with fallback, backoff on a dead mailbox, and the sending limits, against the real servers."""
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from admin_helpers import export, load, write_config
from truth import compare

from pipeline.config import load_config
from pipeline.runtime.app import Pipeline
from pipeline.runtime.worker import Backoff, IdleWatcher, serve
from run import main
from samples import generate

ROOT = Path(__file__).resolve().parents[1]
UTC = timezone.utc


@pytest.fixture(scope="module")
def sample():
    return generate(seed=11)


@pytest.fixture
def server_in_utc(monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is Unix-only")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _digests(sink):
    return [r.parsed()["Subject"] for r in sink.messages if "每日汇总" in (r.parsed()["Subject"] or "")]


def test_digest_at_0800_shanghai_fires_at_0000_utc(server_in_utc, imap_account, smtp_sink, tmp_path, sample,
                                                   monkeypatch):
    assert time.localtime().tm_gmtoff == 0  # the server's own zone is UTC
    load(imap_account, sample.mails[:8])
    config = load_config(write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch,
                                      schedule={"digest_at": "08:00", "poll_every_minutes": 5}))
    with Pipeline(config) as pipeline:
        at = datetime(2025, 9, 20, 23, 59, 30, tzinfo=UTC)  # 07:59:30 in Shanghai on 9-21
        assert serve(pipeline, max_cycles=2, now=lambda: at, tick=0) == 0
        time.sleep(0.3)
        assert _digests(smtp_sink) == []
        at = datetime(2025, 9, 21, 0, 0, 5, tzinfo=UTC)  # 08:00:05 in Shanghai
        assert serve(pipeline, max_cycles=2, now=lambda: at, tick=0) == 0
        smtp_sink.wait_for(1)
        deadline = time.time() + 5
        while not _digests(smtp_sink) and time.time() < deadline:
            time.sleep(0.05)
        assert len(_digests(smtp_sink)) == 1 and "2025年9月21日" in _digests(smtp_sink)[0]
        at = datetime(2025, 9, 21, 8, 0, 0, tzinfo=UTC)  # 08:00 UTC is 16:00 in Shanghai: already sent today
        assert serve(pipeline, max_cycles=2, now=lambda: at, tick=0) == 0
        time.sleep(0.3)
        assert len(_digests(smtp_sink)) == 1
        assert pipeline.store.last_digest_day() == "2025-09-21"


def _done(ledger: Path) -> int:
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM messages WHERE state='done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_one_worker_per_data_dir_and_sigterm_stops_cleanly(imap_account, smtp_sink, tmp_path, sample,
                                                           monkeypatch):
    load(imap_account, sample.mails)
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch, extraction={"workers": 1})
    command = [sys.executable, str(ROOT / "run.py"), "--config", str(config), "serve"]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ledger = tmp_path / "var" / "ledger.sqlite3"
        deadline = time.time() + 60
        while _done(ledger) == 0 and time.time() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert first.poll() is None, first.communicate()
        second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stdout and str(first.pid) in second.stdout

        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=90)
        assert first.returncode == 0, err[-2000:]
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    with sqlite3.connect(ledger) as db:  # every message is done, or untouched and waiting for the next run
        rows = db.execute("SELECT state, attempts FROM messages").fetchall()
        assert all(state == "done" or (state == "pending" and attempts == 0) for state, attempts in rows), rows
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE state='sending'").fetchone()[0] == 0
    # the next run picks up the rest: nothing lost, nothing acknowledged twice
    assert main(["--config", str(config), "poll"]) == 0
    data = export(config, tmp_path)
    assert compare(sample, data).perfect
    time.sleep(0.3)
    acks = [r.parsed()["In-Reply-To"] for r in smtp_sink.messages if r.parsed()["In-Reply-To"]]
    assert len(acks) == len(set(acks))


def test_idle_polls_seconds_after_new_mail(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    mails = [m for m in sample.mails if m.truth.acked and m.truth.unit_id][:2]
    load(imap_account, mails[:1])
    config = load_config(write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch,
                                      mailbox={"idle": True}, schedule={"poll_every_minutes": 60}))
    stop = threading.Event()

    def run():  # the ledger connection belongs to the thread that opens it
        with Pipeline(config) as pipeline:
            serve(pipeline, stop=stop, tick=0.2, now=lambda: datetime(2025, 9, 1, 1, 0, tzinfo=UTC))

    worker = threading.Thread(target=run)
    worker.start()
    try:
        smtp_sink.wait_for(1, timeout=30)
        time.sleep(1.0)  # the IDLE connection is up
        load(imap_account, mails[1:])
        smtp_sink.wait_for(2, timeout=20)  # the interval poll is an hour away: only IDLE can do this
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()


class _FakeClient:
    def __init__(self, log, idle=True, fail_check=False):
        self.log, self.idle_capable, self.fail_check = log, idle, fail_check

    def has_capability(self, name):
        return self.idle_capable

    def idle(self):
        self.log.append("idle")

    def idle_done(self):
        self.log.append("done")

    def idle_check(self, timeout=None):
        if self.fail_check:
            raise OSError("connection reset")
        return [(3, b"EXISTS")] if "new" in self.log else []


def _fake_source(monkeypatch, clients):
    import pipeline.intake.mailbox as mailbox

    class FakeSource:
        def __init__(self, config):
            self.client = None

        def __enter__(self):
            self.client = clients.pop(0)
            return self

        def __exit__(self, *exc):
            pass

    monkeypatch.setattr(mailbox, "ImapSource", FakeSource)


def test_idle_renews_reconnects_and_falls_back(monkeypatch):
    clock = [datetime(2025, 9, 1, tzinfo=UTC)]
    log: list[str] = []
    _fake_source(monkeypatch, [_FakeClient(log), _FakeClient(log, fail_check=True), _FakeClient(log)])
    watcher = IdleWatcher(SimpleNamespace(host="fake"), lambda: clock[0])
    assert watcher.wait(0) is True  # connected: poll once for what came meanwhile
    assert watcher.wait(0) is False
    log.append("new")
    assert watcher.wait(0) is True
    clock[0] += timedelta(minutes=26)  # before the 29-minute limit, the IDLE is re-issued
    log.clear()
    watcher.wait(0)
    assert log[:2] == ["done", "idle"]
    watcher.client.fail_check = True  # the connection drops
    assert watcher.wait(0) is False and watcher.client is None
    assert watcher.wait(0) is False  # backing off
    clock[0] += timedelta(seconds=3)
    assert watcher.wait(0) is True and watcher.connections == 2  # reconnected (second fake failed at check)

    _fake_source(monkeypatch, [_FakeClient([], idle=False)])  # 126.com: no IDLE
    plain = IdleWatcher(SimpleNamespace(host="fake"), lambda: clock[0])
    assert plain.wait(0) is False and plain.supported is False


def test_dead_mailbox_backs_off_and_the_worker_carries_on(tmp_path, smtp_sink, sample, monkeypatch, imap_account,
                                                         caplog):
    from pipeline.intake.mailbox import MailSourceError

    config = load_config(write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch))
    calls = []

    def dead():
        calls.append(1)
        raise MailSourceError("IMAP 127.0.0.1:1 folder INBOX: connection refused")

    with Pipeline(config) as pipeline:
        monkeypatch.setattr(pipeline, "poll", dead)
        assert serve(pipeline, max_cycles=3, now=lambda: datetime(2025, 9, 1, tzinfo=UTC), tick=0) == 0
        assert len(calls) == 1
        assert pipeline.store.last_digest_day() == "2025-09-01"  # the rest of the worker carried on
    assert any("mailbox unavailable" in r.getMessage() and "next try in 0:05:00" in r.getMessage()
               for r in caplog.records)
    b = Backoff(timedelta(minutes=5))
    now = datetime(2025, 9, 1, tzinfo=UTC)
    assert [b.failed(now) for _ in range(5)] == [timedelta(minutes=m) for m in (5, 10, 20, 30, 30)]
    assert not b.ready(now) and b.ready(now + timedelta(minutes=30))
    b.succeeded()
    assert b.ready(now)


def test_sending_limits_defer_and_retry_with_the_sink(tmp_path, smtp_sink, sample, monkeypatch, imap_account):
    from outbox.compose import Draft, compose, to_wire
    from outbox.queue import SendingLimits, flush
    from pipeline.ledger.records import Outgoing

    config = load_config(write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch))
    with Pipeline(config) as pipeline:
        for i in range(5):
            message = compose(Draft(dedupe=f"t:{i}", sender=config.sender_address, sender_name="t", to=[f"u{i}@example.org"],
                              subject=f"t{i}", text="t"))
            pipeline.store.enqueue(Outgoing("ack", f"t:{i}", [f"u{i}@example.org"], f"t{i}", to_wire(message)))
        now = datetime.now(UTC)

        def run(at, per_minute=2, per_day=100):
            return flush(pipeline.store, pipeline.transport(), now=at, sender=config.sender_address,
                         limits=SendingLimits(max_per_minute=per_minute, max_per_day=per_day, max_attempts=5))

        first = run(now)
        assert first.sent == 2 and first.throttled  # two a minute
        assert run(datetime.now(UTC)).sent == 0  # still the same minute
        third = run(datetime.now(UTC), per_minute=100, per_day=3)
        assert third.sent == 1 and third.throttled  # three a day
        smtp_sink.fail_next(1)  # 451 MI:SFQ, as 126.com answers a burst
        fourth = run(datetime.now(UTC), per_minute=100)
        assert fourth.sent == 0 and fourth.retried == 1 and fourth.throttled  # the burst stops at the 451
        assert len(smtp_sink.messages) == 3
        last = run(now + timedelta(minutes=10), per_minute=100)  # the deferred mail is due again
        assert last.sent == 2
        assert len(smtp_sink.messages) == 5
        states = [r.state for r in pipeline.store.outbox()]
        assert states.count("sent") == 5  # deferred, not lost
