"""Resilience against an unlucky operator and a hostile server (issue 10, points 3-7): an IMAP server
that stalls or trickles mid-FETCH, a full disk, a ledger locked by another program, two ingesting
processes at once, limits that drop data. Real loopback Dovecot and SMTP sink; each point has a test
that fails on the code before the fix."""
from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from admin_helpers import write_config
from servers import close_sockets

from samples import generate

ROOT = Path(__file__).resolve().parent.parent


class StallingProxy:
    """A TCP proxy in front of an IMAP server. After the client has sent ``after`` commands containing
    ``trigger`` (by default FETCH of message bodies), the server's answers are held back entirely
    (``mode="stall"``) or passed on one byte every ``interval`` seconds (``mode="trickle"``), which no
    socket timeout ever ends; ``after=-1`` does so from the server's greeting on. ``stalling`` is set once
    that has begun."""

    def __init__(self, port: int, mode: str, after: int = 1, interval: float = 0.5, trigger: bytes = b"BODY.PEEK[]"):
        self.target, self.mode, self.after, self.interval, self.trigger = port, mode, after, interval, trigger
        self.fetches = 0
        self.stalling = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def heal(self) -> None:
        self.mode = "pass"

    def close(self) -> None:
        self.closed.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            stalled = threading.Event()
            if self.after < 0 and self.mode != "pass":
                stalled.set()
                self.stalling.set()
            threading.Thread(target=self._up, args=(client, server, stalled), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, stalled), daemon=True).start()

    def _up(self, src, dst, stalled) -> None:
        try:
            while data := src.recv(65536):
                if self.trigger in data and self.mode != "pass":
                    self.fetches += 1
                    if self.fetches > self.after:
                        stalled.set()
                        self.stalling.set()
                dst.sendall(data)
        except OSError:
            pass
        close_sockets(src, dst)

    def _down(self, src, dst, stalled) -> None:
        try:
            while data := src.recv(65536):
                if not stalled.is_set() or self.mode == "pass":
                    dst.sendall(data)
                    continue
                for i in range(len(data)):
                    if self.mode == "stall" or self.closed.wait(self.interval):
                        self.closed.wait()  # hold everything back until the test ends
                        return
                    dst.sendall(data[i:i + 1])
        except OSError:
            pass
        close_sockets(src, dst)


@pytest.fixture(scope="module")
def sample():
    return generate(seed=31)


def run(config: Path, *args: str, timeout: float = 90, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(config), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def message_keys(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
        return [r[0] for r in db.execute("SELECT key FROM messages")]


def pipeline_log(tmp_path: Path) -> str:
    path = tmp_path / "var" / "logs" / "pipeline.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


# -- 3. a server that stalls or trickles mid-FETCH ----------------------------------------------------

def test_a_greeting_trickled_a_byte_at_a_time_cannot_hold_the_cycle(imap_account, smtp_sink, tmp_path, sample,
                                                                    monkeypatch):
    proxy = StallingProxy(imap_account.port, "trickle", after=-1, interval=0.5)
    try:
        config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch,
                              mailbox={"port": proxy.port, "timeout_seconds": 20}, extraction={"workers": 1},
                              runtime={"cycle_deadline_seconds": 3})
        first = run(config, "poll", timeout=45)  # before: one byte every 0.5 s, no end in sight
        assert first.returncode == 1 and "Traceback" not in first.stderr, first.stderr[-3000:]
        assert "cycle deadline passed while connecting" in first.stderr
    finally:
        proxy.close()


@pytest.mark.parametrize("mode", ["stall", "trickle"])
def test_a_stalled_or_trickling_server_cannot_hold_the_cycle(mode, imap_account, smtp_sink, tmp_path, sample,
                                                             monkeypatch):
    mails = sample.mails[:10]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    proxy = StallingProxy(imap_account.port, mode, after=1, interval=0.5)
    try:
        # the socket timeout (20 s) is far beyond the deadline: only the deadline can end the cycle
        config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch,
                              mailbox={"port": proxy.port, "fetch_batch": 4, "timeout_seconds": 20},
                              extraction={"workers": 1}, runtime={"cycle_deadline_seconds": 3})
        # before the fix: 5 reconnects x 20 s for a stall, forever for a trickle
        first = run(config, "poll", timeout=45)
        assert first.returncode == 1, first.stderr
        assert "Traceback" not in first.stderr, first.stderr[-3000:]
        assert "cycle deadline" in first.stderr
        log = pipeline_log(tmp_path)
        assert "cycle deadline passed while fetching UIDs" in log
        assert len(message_keys(tmp_path)) == 4  # the first batch arrived before the stall and stays
        with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:  # and was read in the same cycle
            assert db.execute("SELECT COUNT(*) FROM messages WHERE state='done'").fetchone()[0] == 4

        proxy.heal()
        second = run(config, "poll")
        assert second.returncode == 0, second.stderr
        keys = message_keys(tmp_path)
        assert len(keys) == len(set(keys)) == 10
    finally:
        proxy.close()



def test_serve_keeps_the_outbox_and_the_digest_on_schedule_while_the_mailbox_is_stuck(imap_account, smtp_sink,
                                                                                       tmp_path, sample, monkeypatch,
                                                                                       caplog):
    from datetime import datetime, timezone

    import pipeline.runtime.worker as worker
    from outbox.compose import Draft, compose, to_wire
    from pipeline.config import load_config
    from pipeline.ledger.records import Outgoing
    from pipeline.ledger.store import Store
    from pipeline.locks import try_lock
    from pipeline.runtime.app import Pipeline

    monkeypatch.setattr(worker, "FLUSH_EVERY", 0.5)
    mails = sample.mails[:4]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    # the first poll goes through; the second one's SEARCH never gets an answer
    proxy = StallingProxy(imap_account.port, "stall", after=1, trigger=b"SEARCH")
    config = load_config(write_config(
        tmp_path, imap_account, smtp_sink, sample, monkeypatch, extraction={"workers": 1},
        mailbox={"port": proxy.port, "timeout_seconds": 60}, runtime={"cycle_deadline_seconds": 25},
        schedule={"digest_at": "08:00", "poll_every_minutes": 0.02}))

    def now():  # 07:59 in Shanghai until the mailbox is stuck, then 08:01: the digest is due
        if proxy.stalling.is_set():
            return datetime(2025, 9, 21, 0, 1, tzinfo=timezone.utc)
        return datetime(2025, 9, 20, 23, 59, tzinfo=timezone.utc)

    stop = threading.Event()

    def run_worker():  # the ledger connection belongs to the thread that opens it
        with Pipeline(config) as pipeline:
            worker.serve(pipeline, stop=stop, tick=0.2, now=now)

    thread = threading.Thread(target=run_worker)
    thread.start()
    try:
        assert proxy.stalling.wait(60)
        store = Store(tmp_path / "var" / "ledger.sqlite3")  # a mail queued while the poll is stuck
        message = compose(Draft(dedupe="t:1", sender=config.sender_address, sender_name="t", to=["u1@example.org"],
                          subject="waiting", text="t"))
        store.enqueue(Outgoing("ack", "t:1", ["u1@example.org"], "waiting", to_wire(message)))
        store.close()
        for _ in range(400):  # that mail and the digest
            subjects = [r.parsed()["Subject"] for r in smtp_sink.messages]
            if "waiting" in subjects and any("每日汇总" in s for s in subjects):
                break
            time.sleep(0.1)
        assert "waiting" in subjects and any("每日汇总" in s for s in subjects), subjects
        # ... went out while the poll was still waiting for the server (it holds the ingest lock)
        assert try_lock(tmp_path / "var" / "ingest.lock", "test") is None
    finally:
        stop.set()
        thread.join(90)
        proxy.close()
    assert not thread.is_alive()
    assert any("cycle deadline passed while searching" in r.getMessage() for r in caplog.records)


def acks(smtp_sink) -> list[str]:
    """Message-IDs of the acknowledgments received (ours are deterministic: a resend repeats one)."""
    time.sleep(0.3)
    return [r.parsed()["Message-ID"] for r in smtp_sink.messages]


# -- 4. clear errors: a full disk, a ledger locked by another program --------------------------------

def test_a_full_disk_ends_in_one_line_an_exit_code_and_a_status_and_loses_nothing(imap_account, smtp_sink, tmp_path,
                                                                                  sample, monkeypatch):
    mails = sample.mails[:10]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch,
                          mailbox={"fetch_batch": 4}, extraction={"workers": 1})
    full = run(config, "poll", env={"SUMMARY_MAILBOX_DISK_FULL_AT": "archive_tmp_written:6"})
    assert full.returncode == 4, full.stderr
    assert "Traceback" not in full.stderr, full.stderr[-3000:]
    [line] = [x for x in full.stderr.splitlines() if "disk" in x]
    assert "is full" in line and "Free some space" in line
    status = run(config, "status")
    assert status.returncode == 0 and "LAST RUN FAILED" in status.stdout and "is full" in status.stdout

    # the disk fills up again later, inside a message's commit: that message is not charged for it
    more = sample.mails[10:14]
    imap_account.append_many([m.raw for m in more], [m.received for m in more])
    again = run(config, "poll", env={"SUMMARY_MAILBOX_DISK_FULL_AT": "commit_before:2"})
    assert again.returncode == 4 and "Traceback" not in again.stderr, again.stderr[-3000:]
    with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM messages WHERE state='parked' OR last_error IS NOT NULL"
                          ).fetchone()[0] == 0

    ok = run(config, "poll")  # space freed: everything is read, each acknowledged once
    assert ok.returncode == 0, ok.stderr
    assert "LAST RUN FAILED" not in run(config, "status").stdout
    keys = message_keys(tmp_path)
    assert len(keys) == len(set(keys)) == 14
    with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM messages WHERE state='done'").fetchone()[0] == 14
    sent = acks(smtp_sink)
    assert len(sent) == len(set(sent)) == sum(m.truth.acked for m in mails + more)


def test_a_ledger_locked_by_another_program_ends_in_one_line(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    mails = sample.mails[:3]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch, extraction={"workers": 1},
                          runtime={"ledger_wait_seconds": 1})
    assert run(config, "status").returncode == 0  # the ledger exists
    holder = sqlite3.connect(tmp_path / "var" / "ledger.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # e.g. a database browser with an unsaved edit
    try:
        locked = run(config, "poll")
        assert locked.returncode == 5, locked.stderr
        assert "Traceback" not in locked.stderr, locked.stderr[-3000:]
        assert "stayed locked by another program" in locked.stderr
        status = run(config, "status")
        assert "LAST RUN FAILED" in status.stdout and "locked" in status.stdout, status.stdout + status.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run(config, "poll").returncode == 0
    assert len(message_keys(tmp_path)) == 3


# -- 7. two ingesting processes at once --------------------------------------------------------------

def test_a_second_ingesting_process_waits_then_exits_and_charges_nobody(imap_account, smtp_sink, tmp_path, sample,
                                                                        monkeypatch):
    mails = sample.mails[:12]
    imap_account.append_many([m.raw for m in mails], [m.received for m in mails])
    # a first poll held up by a trickling server for a few seconds, holding the ingest lock meanwhile
    proxy = StallingProxy(imap_account.port, "trickle", after=1, interval=0.5)
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch, extraction={"workers": 1},
                          mailbox={"port": proxy.port, "fetch_batch": 4, "timeout_seconds": 20},
                          runtime={"lock_wait_seconds": 1, "cycle_deadline_seconds": 8})
    first = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--config", str(config), "poll"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = tmp_path / "var" / "ingest.lock"
        for _ in range(600):
            if lock.exists() and lock.read_text().startswith(str(first.pid)):
                break
            time.sleep(0.05)
        second = run(config, "poll")
        reingest = run(config, "reingest", "--since", "2025-09-01", "--until", "2025-09-30", "--from-archive")
        out, err = first.communicate(timeout=120)
        assert first.returncode == 1 and "cycle deadline" in err, err[-3000:]
        proxy.heal()
        assert run(config, "poll").returncode == 0
    finally:
        proxy.close()
        if first.poll() is None:
            first.kill()
    for other in (second, reingest):
        assert other.returncode == 3, other.stderr
        assert "already running" in other.stderr and f"(pid {first.pid})" in other.stderr
        assert "Traceback" not in other.stderr
    assert "counted as a crash" not in pipeline_log(tmp_path)
    with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
        assert db.execute("SELECT MAX(attempts) FROM messages").fetchone()[0] == 1  # no try charged twice
        assert db.execute("SELECT COUNT(*) FROM messages WHERE state='done'").fetchone()[0] == 12
    sent = acks(smtp_sink)
    assert len(sent) == len(set(sent)) == sum(m.truth.acked for m in mails)


# -- 6. limits that drop data name themselves ---------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _long_workbook(rows: int) -> bytes:
    import io

    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("活动明细")
    ws.append(["序号", "活动名称", "活动时间", "活动地点", "参与人数"])
    for r in range(rows):
        ws.append([r + 1, f"社区科普讲座第{r + 1}场", "2025年9月15日", "社区活动室", 50])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _limit_mails(sender: str, unit_name: str) -> dict[str, bytes]:
    from mailbuild import b_word, file_part, mail, multipart, text_part
    from officebuild import activity_workbook
    from officebuild_zip import Entry, build_zip

    book = activity_workbook()
    crowded = build_zip([Entry(f"说明{i:03d}.txt", f"第{i}份说明".encode()) for i in range(205)]
                        + [Entry("活动明细表.xlsx", book)])
    many_parts = [text_part(f"附言{i}", cte="7bit") for i in range(510)]
    cases = {
        "zip": [file_part(crowded, "application/zip", 'attachment; filename="材料.zip"'.encode())],
        "parts": [*many_parts, file_part(book, XLSX, 'attachment; filename="活动明细表.xlsx"'.encode())],
        "rows": [file_part(_long_workbook(5003), XLSX, 'attachment; filename="活动明细表.xlsx"'.encode())],
    }
    return {name: mail(multipart("mixed", [text_part(f"{unit_name}报送，见附件。"), *parts]),
                       subject=b_word(f"{unit_name}科普月总结 {name}"), from_=sender,
                       message_id=f"<limit-{name}@example.cn>")
            for name, parts in cases.items()}


def test_every_limit_that_drops_data_names_itself_in_the_ack_and_the_review_item(tmp_path, sample):
    from email import message_from_bytes, policy

    import yaml

    from pipeline.admin.review import review_items
    from pipeline.config import load_config
    from pipeline.runtime.app import Pipeline

    unit = next(u for u in sample.units if u.emails)
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    for name, raw in _limit_mails(unit.emails[0], unit.name).items():
        (inbox / "new" / f"{name}.eml").write_bytes(raw)
    (tmp_path / "units.csv").write_text(sample.units_csv(), encoding="utf-8")
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump({
        "mailbox": {"maildir": "inbox"}, "smtp": {"outdir": "sent", "from": sample.mailbox_addr},
        "admins": list(sample.admin_addrs), "data_dir": "var", "campaign": {"units": "units.csv"},
        "extraction": {"workers": 1}}, allow_unicode=True), encoding="utf-8")
    assert run(config_path, "poll").returncode == 0

    expected = {"<limit-zip@example.cn>": "压缩包内文件过多（206个），只读取了前200个",
                "<limit-parts@example.cn>": "邮件分段超过500个",
                "<limit-rows@example.cn>": "超过5000行，只读取了前5000行"}
    with Pipeline(load_config(config_path)) as pipeline:
        items = {i.message_id: i for i in review_items(pipeline)}
    acks_by_reply = {}
    for path in (tmp_path / "sent").rglob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        acks_by_reply[message["In-Reply-To"]] = message.get_body(("plain",)).get_content()
    for message_id, words in expected.items():
        assert message_id in items, (message_id, list(items))
        assert words in items[message_id].reason, items[message_id].reason
        assert words in acks_by_reply[message_id], acks_by_reply[message_id]
