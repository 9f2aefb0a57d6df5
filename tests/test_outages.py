"""Outages against real servers: IMAP connections cut mid-FETCH, refused logins, a server that goes
away and comes back, mail expunged by a person; SMTP 4xx/5xx, a server down for hours, a mail loop;
parser processes that cannot start. Nothing is lost, nothing is read or sent twice, and the log says
what happened."""
from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from admin_helpers import write_config
from servers import SmtpSink, close_sockets
from test_outbox import mail

import pipeline.intake.mailbox as mailbox
from outbox.queue import SendingLimits, flush
from outbox.smtp import SmtpTransport
from parsers.sandbox import Sandbox
from pipeline.ledger.store import Store
from run import main
from samples import generate


class CuttingProxy:
    """A TCP proxy on loopback in front of a server; ``cut_after(n)`` drops the connection once the
    server has sent n more bytes; ``refuse(n)`` refuses the next n connections."""

    def __init__(self, port: int):
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.budget: int | None = None
        self.refusals = 0
        self.cuts = 0
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after(self, n: int) -> None:
        self.budget = n

    def refuse(self, n: int) -> None:
        self.refusals = n

    def close(self) -> None:
        self._stop = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusals > 0:
                self.refusals -= 1
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, downstream: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if downstream and self.budget is not None:
                    if len(data) >= self.budget:
                        dst.sendall(data[: self.budget])
                        self.budget = None
                        self.cuts += 1
                        break
                    self.budget -= len(data)
                dst.sendall(data)
        except OSError:
            pass
        close_sockets(src, dst)


@pytest.fixture(scope="module")
def sample():
    return generate(seed=31)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(mailbox, "RECONNECT_DELAYS", (0.05, 0.1, 0.2))


OUTAGE_MAILBOX = {"fetch_batch": 4, "timeout_seconds": 10}


class Log:
    """The pipeline's own log file (run.main replaces the root handlers, so caplog sees nothing)."""

    def __init__(self, tmp_path: Path):
        self.path = tmp_path / "var" / "logs" / "pipeline.log"
        self.offset = 0

    def new(self) -> str:
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        out, self.offset = text[self.offset:], len(text)
        return out


def export(config: Path, tmp_path: Path) -> dict:
    out = tmp_path / "out.json"
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_connection_cut_mid_fetch_reconnects_and_loses_nothing(imap_account, smtp_sink, tmp_path, sample,
                                                               monkeypatch):
    mails = sample.mails[:14]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    proxy = CuttingProxy(imap_account.port)
    try:
        config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch,
                              mailbox={**OUTAGE_MAILBOX, "port": proxy.port}, extraction={"workers": 1})
        proxy.cut_after(300_000)  # inside the FETCH of a batch
        proxy.refuse(0)
        logs = Log(tmp_path)
        assert main(["--config", str(config), "poll"]) == 0
        assert proxy.cuts == 1
        log = logs.new()
        assert "IMAP connection lost while fetching UIDs" in log and "reconnected" in log
        data = export(config, tmp_path)
        assert sorted(m["message_id"] for m in data["messages"]) == sorted(m.message_id for m in mails)
        acked = len(smtp_sink.messages)

        # the server restarts mid-cycle: the link drops and the first reconnection is refused
        more = sample.mails[14:20]
        imap_account.append_many([m.raw for m in more], [m.received for m in more])
        proxy.cut_after(50_000)
        proxy.refuse(1)
        assert main(["--config", str(config), "poll"]) == 0
        log = logs.new()
        assert "retry 1/3" in log and "reconnected" in log
        data = export(config, tmp_path)
        assert len(data["messages"]) == 20 and len({m["message_id"] for m in data["messages"]}) == 20
        assert main(["--config", str(config), "poll"]) == 0  # nothing read twice, nothing sent twice
        assert len(export(config, tmp_path)["messages"]) == 20
        assert len(smtp_sink.messages) == acked + sum(m.truth.acked for m in more)
    finally:
        proxy.close()


def test_login_refused_server_down_and_expunged_mail(imap_account, smtp_sink, tmp_path, sample, monkeypatch,
                                                     capsys):
    first = sample.mails[:8]
    imap_account.append_many([m.raw for m in first], [m.received for m in first])
    proxy = CuttingProxy(imap_account.port)
    try:
        config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch,
                              mailbox={**OUTAGE_MAILBOX, "port": proxy.port}, extraction={"workers": 1})
        monkeypatch.setenv("TEST_MAILBOX_PASSWORD", "wrong")
        logs = Log(tmp_path)
        assert main(["--config", str(config), "poll"]) == 1
        err = capsys.readouterr().err
        assert "login" in err and "refused" in err and "authorization code" in err
        log = logs.new()
        assert "refused" in log and "retry" not in log  # a wrong password is not retried
        assert "wrong" not in log  # the password itself is never logged

        monkeypatch.setenv("TEST_MAILBOX_PASSWORD", imap_account.password)
        assert main(["--config", str(config), "poll"]) == 0
        sent = len(smtp_sink.messages)

        # the server is unreachable for a while: the cycle fails clearly after its retries, keeps all
        proxy.refuse(10)
        logs.new()
        assert main(["--config", str(config), "poll"]) == 1
        assert logs.new().count("retry") == 3
        proxy.refuse(0)

        # a person expunges three messages and new ones arrive: nothing lost, nothing read again
        imap_account.expunge(imap_account.uids()[:3])
        later = sample.mails[8:12]
        imap_account.append_many([m.raw for m in later], [m.received for m in later])
        assert main(["--config", str(config), "poll"]) == 0
        data = export(config, tmp_path)
        assert sorted(m["message_id"] for m in data["messages"]) == sorted(m.message_id for m in first + later)
        assert len(smtp_sink.messages) == sent + sum(m.truth.acked for m in later)
    finally:
        proxy.close()


def test_parsers_that_cannot_start_park_nothing(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    mails = sample.mails[:6]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch, mailbox=OUTAGE_MAILBOX,
                          extraction={"workers": 1, "max_attempts": 1})

    def no_fork(self, workers):
        raise BlockingIOError(11, "Resource temporarily unavailable (fork)")

    logs = Log(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(Sandbox, "_new_pool", no_fork)
        for _ in range(3):  # even with max_attempts 1, several cycles without workers park nothing
            assert main(["--config", str(config), "poll"]) == 0
    assert "parsers cannot run" in logs.new()
    store = Store(tmp_path / "var" / "ledger.sqlite3")
    rows = store.messages()
    assert len(rows) == 6 and {r.state for r in rows} == {"pending"} and {r.attempts for r in rows} == {0}
    store.close()
    assert main(["--config", str(config), "poll"]) == 0  # the machine is fine again
    data = export(config, tmp_path)
    assert all("暂停处理" not in m["reason"] for m in data["messages"])
    assert {m["message_id"] for m in data["messages"]} == {m.message_id for m in mails}


def transport(port: int) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, use_ssl=False, starttls=False, username=None, password=None, timeout=3)


def test_smtp_down_for_hours_then_back_sends_each_once(tmp_path):
    store = Store(tmp_path / "l.sqlite3")
    for n in range(5):
        store.enqueue(mail(n))
    sink = SmtpSink().start()
    port = sink.port
    sink.stop()
    now = datetime.now(timezone.utc)
    for hour in range(0, 30, 2):  # a day and more of flushes against a dead server
        report = flush(store, transport(port), sender="tskxpjb@126.com", now=now + timedelta(hours=hour),
                       limits=SendingLimits(max_per_minute=100, max_per_day=1000, max_attempts=3))
        assert report.sent == 0 and report.outage
    rows = store.outbox()
    assert {r.state for r in rows} == {"pending"} and {r.attempts for r in rows} == {0}  # not the mails' fault
    back = SmtpSink().start()
    try:
        report = flush(store, transport(back.port), sender="tskxpjb@126.com", now=now + timedelta(hours=31),
                       limits=SendingLimits(max_per_minute=100, max_per_day=1000, max_attempts=3))
        assert report.sent == 5
        flush(store, transport(back.port), sender="tskxpjb@126.com", now=now + timedelta(hours=32),
              limits=SendingLimits(max_per_minute=100, max_per_day=1000, max_attempts=3))
        assert len(back.wait_for(5)) == 5
        assert sorted(r.rcpt_tos[0] for r in back.messages) == [f"u{n}@126.com" for n in range(5)]
    finally:
        back.stop()


def test_sfq_throttle_waits_5xx_fails_and_both_are_reported(tmp_path, smtp_sink):
    store = Store(tmp_path / "l.sqlite3")
    for n in range(3):
        store.enqueue(mail(n))
    now = datetime.now(timezone.utc)
    smtp_sink.fail_next(1, code=451, message="4.7.0 MI:SFQ too many sends in 15 minutes")
    report = flush(store, transport(smtp_sink.port), sender="x@126.com", now=now,
                   limits=SendingLimits(max_per_minute=100, max_per_day=100, max_attempts=2))
    assert report.sent == 0 and report.throttled and "MI:SFQ" in report.outage
    assert store.outbox()[0].attempts == 0  # a rate limit is not the mail's fault
    smtp_sink.fail_next(1, code=554, message="DT:SPM judged as spam", stage="RCPT")
    report = flush(store, transport(smtp_sink.port), sender="x@126.com", now=now + timedelta(hours=1),
                   limits=SendingLimits(max_per_minute=100, max_per_day=100, max_attempts=2))
    assert (report.sent, report.failed) == (2, 1)
    problems = store.outbox_problems()
    assert [(p.state, p.recipients) for p in problems] == [("failed", ("u0@126.com",))]
    assert "554" in problems[0].last_error
    assert len(smtp_sink.wait_for(2)) == 2


def test_a_mail_loop_is_capped_per_recipient_per_day(tmp_path, smtp_sink):
    from outbox.compose import Draft, compose, to_wire
    from pipeline.ledger.records import Outgoing

    store = Store(tmp_path / "l.sqlite3")
    for n in range(14):  # an autoresponder that keeps writing back
        raw = to_wire(compose(Draft(dedupe=f"ack:{n}", sender="tskxpjb@126.com", sender_name="素质办", to=["loop@126.com"],
                              subject="【已收到】", text="您好")))
        store.enqueue(Outgoing("ack", f"ack:{n}", ["loop@126.com"], "【已收到】", raw, f"<m{n}@x>"))
    report = flush(store, transport(smtp_sink.port), sender="tskxpjb@126.com",
                   limits=SendingLimits(max_per_minute=100, max_per_day=1000, max_attempts=3, max_per_recipient=10))
    assert (report.sent, report.suppressed) == (10, 4)
    assert len(smtp_sink.wait_for(10)) == 10
    assert sum(p.state == "suppressed" for p in store.outbox_problems()) == 4
