"""Resilience against an unlucky operator and a hostile server (issue 10, points 3-7): an IMAP server
that stalls or trickles mid-FETCH, a full disk, a ledger locked by another program, two ingesting
processes at once, limits that drop data. Real loopback Dovecot and SMTP sink; each point has a test
that fails on the code before the fix."""
from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import pipeline.mailbox as mailbox
from admin_helpers import write_config
from samples import generate

ROOT = Path(__file__).resolve().parent.parent


class StallingProxy:
    """A TCP proxy in front of an IMAP server. After the client has sent ``after`` FETCH commands of
    message bodies, the server's answers are held back entirely (``mode="stall"``) or passed on one
    byte every ``interval`` seconds (``mode="trickle"``), which no socket timeout ever ends."""

    def __init__(self, port: int, mode: str, after: int = 1, interval: float = 0.5):
        self.target, self.mode, self.after, self.interval = port, mode, after, interval
        self.fetches = 0
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
            threading.Thread(target=self._up, args=(client, server, stalled), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, stalled), daemon=True).start()

    def _up(self, src, dst, stalled) -> None:
        try:
            while data := src.recv(65536):
                if b"BODY.PEEK[]" in data and self.mode != "pass":
                    self.fetches += 1
                    if self.fetches > self.after:
                        stalled.set()
                dst.sendall(data)
        except OSError:
            pass
        _close(src, dst)

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
        _close(src, dst)


def _close(*socks) -> None:
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


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
