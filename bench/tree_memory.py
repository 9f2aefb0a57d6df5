"""Peak resident memory of the whole process tree (the pipeline, its fork server, its parser workers and
the LibreOffice they start) while `poll` reads the shared corpus, with and without the memory budget.

    python bench/tree_memory.py [--budget 1024] [--budget 100000] [--workers 2]

Each run: a fresh data dir, the corpus as a Maildir (mails as they are, Office files attached to a unit's
mail, as tests/test_corpus_pipeline.py does), `run.py poll` in a child process, /proc sampled every 50 ms.
Prints the peak of the summed RSS, the wall time and how many files failed for the budget. Linux only.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from corpus import CORPUS, corpus_maildir  # noqa: E402

from parsers import memwatch  # noqa: E402


def run(budget: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        count = sum(corpus_maildir(where))
        (where / "config.yaml").write_text(yaml.safe_dump({
            "mailbox": {"maildir": "inbox", "username": "tskxpjb@126.com"},
            "smtp": {"outdir": "sent", "from": "tskxpjb@126.com"}, "data_dir": "var",
            "campaign": {"units": "units.csv"},
            "extraction": {"workers": workers, "timeout_seconds": 60, "memory_budget_mb": budget}}), encoding="utf-8")
        began = time.monotonic()
        child = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--config", str(where / "config.yaml"), "poll"],
                                 cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0
        while child.poll() is None:
            procs = memwatch.tree(child.pid) or {}
            peak = max(peak, sum(rss for _, rss in procs.values()))
            time.sleep(0.05)
        wall = time.monotonic() - began
        with sqlite3.connect(where / "var" / "ledger.sqlite3") as db:
            over = [r[0] for r in db.execute("SELECT name FROM files WHERE error LIKE '%内存超过限额%'")]
            done = db.execute("SELECT COUNT(*) FROM messages WHERE state='done'").fetchone()[0]
        return {"budget_mb": budget, "workers": workers, "mails": count, "done": done, "exit": child.returncode,
                "peak_tree_mb": round(peak / 2**20), "wall_s": round(wall, 1), "files_over_budget": over}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, action="append", help="memory_budget_mb (repeat to compare)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is absent")
    for budget in args.budget or [1024, 100_000]:
        print(json.dumps(run(budget, args.workers)), flush=True)


if __name__ == "__main__":
    main()
