"""The backup note of the README, done: `backup` while `serve` runs, the machine is lost, the copy is restored
elsewhere; the ledger opens, and nothing is read or acknowledged twice (real Dovecot and SMTP sink)."""
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from admin_helpers import export, load, write_config
from truth import compare

from pipeline.ledger.store import Store
from run import main
from samples import generate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample():
    return generate(seed=11)


def _settled(ledger: Path, sources: int) -> bool:
    """All of these sources recorded, read, and their mail sent (or given up)."""
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5) as db:
            seen = db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
            waiting = db.execute("SELECT COUNT(*) FROM messages WHERE state='pending'").fetchone()[0]
            unsent = db.execute("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')").fetchone()[0]
    except sqlite3.Error:
        return False
    return seen == sources and waiting == 0 and unsent == 0


def _processed(ledger: Path) -> dict[str, str]:
    with sqlite3.connect(ledger) as db:
        return dict(db.execute("SELECT key, processed_at FROM messages"))


def test_a_backup_taken_while_serve_runs_restores_elsewhere(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    first, later = sample.mails[:-4], sample.mails[-4:]
    load(imap_account, first)
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch, extraction={"workers": 1})
    worker = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--config", str(config), "serve"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 240
        while not _settled(tmp_path / "var" / "ledger.sqlite3", len(first)) and time.time() < deadline:
            assert worker.poll() is None, worker.communicate()
            time.sleep(0.1)
        copied = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(config), "backup", "--out",
                                 str(tmp_path / "backup")], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert copied.returncode == 0, copied.stderr
        assert "backup written" in copied.stdout and worker.poll() is None  # serve ran on through it
        again = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(config), "backup", "--out",
                                str(tmp_path / "backup")], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert again.returncode == 2 and "already holds a backup" in again.stderr  # never over an older copy
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=90)
    acks_before = len(smtp_sink.messages)

    # the machine is lost: the copy becomes the data folder of a new installation
    shutil.copytree(tmp_path / "backup", tmp_path / "restored")
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    restored_config = tmp_path / "restored.yaml"
    restored_config.write_text(yaml.safe_dump({**settings, "data_dir": "restored"}, allow_unicode=True),
                               encoding="utf-8")
    backed_up = _processed(tmp_path / "restored" / "ledger.sqlite3")
    Store(tmp_path / "restored" / "ledger.sqlite3").close()  # it opens
    load(imap_account, later)
    assert main(["--config", str(restored_config), "poll"]) == 0

    after = _processed(tmp_path / "restored" / "ledger.sqlite3")
    assert {k: after[k] for k in backed_up} == backed_up  # nothing the copy knew was read again
    assert len(after) > len(backed_up)  # what came later was
    assert compare(sample, export(restored_config, tmp_path)).perfect
    time.sleep(0.3)
    acks = [r.parsed()["In-Reply-To"] for r in smtp_sink.messages if r.parsed()["In-Reply-To"]]
    assert len(acks) == len(set(acks)) and len(smtp_sink.messages) > acks_before  # no unit answered twice
