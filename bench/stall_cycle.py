"""How long one `poll` lasts against an IMAP server that stalls or trickles mid-FETCH.

    python bench/stall_cycle.py [--deadline 3] [--deadline 10] [--socket-timeout 60]

A throwaway Dovecot (tests/servers.py) with 10 sample mails, behind the stalling proxy of
tests/test_resilience.py (answers held back, or one byte every 0.5 s, from the second FETCH on);
`run.py poll` in a child process with `runtime.cycle_deadline_seconds` set; prints the wall time of the
cycle and how many mails it fetched before the stall. Linux only (Dovecot).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from servers import Dovecot, SmtpSink, new_account  # noqa: E402
from test_resilience import StallingProxy, message_keys  # noqa: E402

from samples import generate  # noqa: E402


def cycle(account, sink, sample, mode: str, deadline: float, socket_timeout: float) -> dict:
    proxy = StallingProxy(account.port, mode, after=1, interval=0.5)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            where = Path(tmp)
            (where / "units.csv").write_text(sample.units_csv(), encoding="utf-8")
            mailbox = {**account.mailbox_config(), "port": proxy.port, "fetch_batch": 4,
                       "timeout_seconds": socket_timeout}
            (where / "config.yaml").write_text(yaml.safe_dump({
                "mailbox": mailbox, "smtp": {**sink.smtp_config(), "from": sample.mailbox_addr},
                "data_dir": "var", "campaign": {"units": "units.csv"}, "extraction": {"workers": 1},
                "runtime": {"cycle_deadline_seconds": deadline}}, allow_unicode=True), encoding="utf-8")
            began = time.monotonic()
            done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(where / "config.yaml"),
                                   "poll"], cwd=ROOT, capture_output=True, text=True, timeout=deadline + 600)
            wall = time.monotonic() - began
            return {"mode": mode, "deadline_s": deadline, "socket_timeout_s": socket_timeout, "exit": done.returncode,
                    "cycle_s": round(wall, 1), "fetched_before_stall": len(message_keys(where))}
    finally:
        proxy.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, action="append")
    parser.add_argument("--socket-timeout", type=float, default=60)
    args = parser.parse_args()
    sample = generate(seed=31)
    server = Dovecot().start()
    sink = SmtpSink().start()
    try:
        account = new_account(server)
        account.append_many([m.raw for m in sample.mails[:10]], [m.received for m in sample.mails[:10]])
        for deadline in args.deadline or [3, 10]:
            for mode in ("stall", "trickle"):
                print(json.dumps(cycle(account, sink, sample, mode, deadline, args.socket_timeout)), flush=True)
    finally:
        sink.stop()
        server.cleanup()


if __name__ == "__main__":
    main()
