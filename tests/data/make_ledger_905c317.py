"""How tests/data/ledger_905c317.sql was made: a ledger written by the Store of commit 905c317 (before
PRAGMA user_version and the marks row), dumped as SQL. Run from the repository root:

    python tests/data/make_ledger_905c317.py > tests/data/ledger_905c317.sql
"""
import importlib.util
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from pipeline.ledger.records import Arrival, Outgoing  # noqa: E402  (unchanged since 905c317)

source = subprocess.run(["git", "show", "905c317:pipeline/ledger/store.py"], capture_output=True, text=True,
                        check=True).stdout
folder = Path(tempfile.mkdtemp())
(folder / "old_store.py").write_text(source, encoding="utf-8")
spec = importlib.util.spec_from_file_location("old_store", folder / "old_store.py")
old = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old)

store = old.Store(folder / "ledger.sqlite3")
at = datetime(2025, 9, 15, 2, 0, tzinfo=timezone.utc)
store.record_arrivals([Arrival("maildir:/in", 1, str(n), f"<old-{n}@example.org>", f"{n:064x}",
                               f"<old-{n}@example.org>", at + timedelta(hours=n)) for n in range(4)])
store.claim_many(["<old-0@example.org>", "<old-1@example.org>", "<old-2@example.org>"])
store.record_failure("<old-0@example.org>", "parser bug", park=False)  # one recorded failure
store.claim_many(["<old-0@example.org>"])  # claimed again, then the process was killed from outside
store.mark_in_process("<old-1@example.org>")  # died while deciding this one: its crash
store.db.execute("UPDATE messages SET state='done', outcome='needs_review', kind='question', unit_id=NULL,"
                 " sender='a@126.com', subject='请问', received_at='2025-09-15T12:00:00+00:00',"
                 " processed_at='2025-09-15T12:00:01+00:00', candidates='[]', notes='[]' WHERE key='<old-3@example.org>'")
store.dismiss("<old-3@example.org>", "已电话答复")
store.enqueue(Outgoing("ack", "ack:<old-3@example.org>", ["a@126.com"], "回执", b"Subject: x\r\n\r\nx\r\n",
                       "<old-3@example.org>"))
store.set_state("last_poll", "2025-09-15T12:05:00+00:00")
store.set_state("last_poll_report", "4 fetched, 4 new")
store.set_state("last_digest_day", "2025-09-15")
store.set_state("last_digest_at", "2025-09-15T00:00:00+00:00")
store.set_state("smtp_outage", "2 2025-09-15T12:30:00+00:00")
store.record_action("命令行:root", "dismiss", "<old-3@example.org>", "[]", "dismissed", ok=True)
print("\n".join(store.db.iterdump()))
