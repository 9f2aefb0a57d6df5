#!/usr/bin/env python
"""Ingest benchmark: the pipeline against the floor of the libraries it calls (prints figures).

    python bench/ingest.py [--n 1000] [--quick] [--no-profile] [--json out.json]

See bench/README.md for what each figure means. Needs Dovecot (apt: dovecot-imapd) and the
`bench` extra (pip install -e '.[bench]'). Linux only (Dovecot, /proc for memory figures).
"""
from __future__ import annotations

import argparse
import base64
import importlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (ROOT / "bench", ROOT / "tests", ROOT):  # tests/servers.py holds the Dovecot helper
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

MB = 1024 * 1024
SINCE, UNTIL = "2025-08-01", "2025-12-31"
PHASES = ("floor", "pipeline", "acks", "reingest", "stages", "memory", "report", "poll", "growth")


# ---- memory: peak RSS of this process and its descendants (Linux /proc) -------------------------

def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children_map() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class RssMonitor(threading.Thread):
    """Samples VmHWM (peak RSS) of every descendant every 50 ms; workers are the forkserver's children."""

    def __init__(self):
        super().__init__(daemon=True)
        self.root = os.getpid()
        self.peaks: dict[int, tuple[str, int]] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        if not sys.platform.startswith("linux"):
            return
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(0.05)

    def sample(self) -> None:
        children = _children_map()
        todo = [(c, "child") for c in children.get(self.root, [])]
        while todo:
            pid, role = todo.pop()
            cmd = _cmdline(pid)
            if "soffice" in cmd:
                role = "soffice"
            elif role == "child" and "forkserver" in cmd:
                role = "forkserver"
            elif role == "forkserver-child" or (role == "child" and "spawn_main" in cmd):
                role = "worker"
            elif role == "child" and "resource_tracker" in cmd:
                role = "other"
            hwm = _status_kb(pid, "VmHWM")
            if hwm:
                old = self.peaks.get(pid, (role, 0))[1]
                self.peaks[pid] = (role, max(old, hwm))
            next_role = "forkserver-child" if role == "forkserver" else ("soffice" if role == "soffice" else "child")
            todo += [(c, next_role) for c in children.get(pid, [])]

    def stop(self) -> dict[str, float]:
        self._halt.set()
        self.join(2)
        out = {"parent": _status_kb(self.root, "VmHWM") / 1024}
        for role, kb in self.peaks.values():
            out[role] = max(out.get(role, 0), kb / 1024)
        out["workers_seen"] = sum(1 for role, _ in self.peaks.values() if role == "worker")
        return out


# ---- stage timers (installed in a child process running the pipeline in-process) -----------------

STAGES: dict[str, float] = {}
_DEPTH: dict[str, int] = {}


def _timed(owner, attr: str, stage: str, generator: bool = False) -> None:
    fn = getattr(owner, attr)

    def add(t0: float) -> None:
        STAGES[stage] = STAGES.get(stage, 0.0) + time.perf_counter() - t0

    if generator:
        def wrapper(*a, **k):
            it = fn(*a, **k)
            while True:
                t0 = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    add(t0)
                    return
                add(t0)
                yield item
    else:
        def wrapper(*a, **k):
            if _DEPTH.get(stage):
                return fn(*a, **k)
            _DEPTH[stage] = 1
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                _DEPTH[stage] = 0
                add(t0)
    wrapper.__wrapped__ = fn
    setattr(owner, attr, wrapper)


def first_module(*names: str):
    """The first of ``names`` that imports: this checkout's module, or an older checkout's (--baseline)."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(names)


def install_stage_timers() -> None:
    """Wrap each stage's functions with a timer; works on this checkout and on older ones (--baseline),
    whose modules had other names (parsers.analyze, pipeline.archive, the message path in pipeline.app,
    pipeline/ before its rooms)."""
    analyze = first_module("parsers.read_mail", "parsers.analyze")
    app = first_module("pipeline.runtime.app", "pipeline.app")
    ingest = first_module("pipeline.intake.ingest", "pipeline.ingest", "pipeline.app")
    path = ingest if hasattr(ingest, "Ingestor") else app  # who calls decide and build_ack
    Archive = first_module("pipeline.intake.mail_archive", "pipeline.mail_archive", "pipeline.archive").Archive
    ImapSource = first_module("pipeline.intake.mailbox", "pipeline.mailbox").ImapSource
    Store = first_module("pipeline.ledger.store", "pipeline.store").Store

    _timed(ImapSource, "fetch_between", "fetch (IMAP)", generator=True)
    _timed(ImapSource, "fetch_new", "fetch (IMAP)", generator=True)
    _timed(ImapSource, "__enter__", "fetch (IMAP)")
    _timed(Archive, "put", "archive")
    _timed(Archive, "get", "archive")
    for name in ("record_arrivals", "pending", "commit_message", "record_failure", "requeue",
                 "keys_received_between", "message", "known_uids", "known_keys",
                 *[n for n in ("claim", "claim_many", "commit_many", "set_state", "mark_in_process", "set_last_poll")
                   if hasattr(Store, n)]):
        _timed(Store, name, "store")
    _timed(analyze, "parse_message", "parse (MIME)")
    _timed(ingest, "parse_message", "parse (MIME)")
    _timed(analyze, "extract_file", "extract (files)")
    _timed(analyze, "normalize_activity", "normalize")
    _timed(ingest.Reader, "read_many", "read (sandbox total)")
    _timed(path, "decide", "decide (classify, identify)")
    _timed(getattr(ingest, "Ingestor", app.Pipeline), "_reported_after", "ack: unit progress")
    _timed(path, "build_ack", "ack render")
    _timed(app.Pipeline, "flush_outbox", "flush (send)")


def count_statements() -> list[int]:
    """Count every SQL statement the ledger runs (a one-item list, filled as the command runs)."""
    Store = first_module("pipeline.ledger.store", "pipeline.store").Store

    count = [0]
    init = Store.__init__

    def counting_init(self, *a, **k):
        init(self, *a, **k)
        self.db.set_trace_callback(lambda _sql: count.__setitem__(0, count[0] + 1))

    Store.__init__ = counting_init
    return count


def child(spec: dict) -> None:
    """Run one pipeline command in this (fresh) process and write figures to spec['out']."""
    if spec.get("code"):  # another checkout of the project (--baseline): its code, this benchmark
        sys.path.insert(0, spec["code"])
    monitor = RssMonitor()
    monitor.start()
    t0 = time.perf_counter()
    import run  # (import time is part of what an operator waits for)

    first_module("pipeline.runtime.commands", "pipeline.commands")  # as a command loads them
    imported = time.perf_counter() - t0
    if spec.get("stages"):
        install_stage_timers()
    statements = count_statements()
    profiler = None
    if spec.get("profile"):
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.002)
        profiler.start()
    t1 = time.perf_counter()
    sys.stdout = io.StringIO()  # the command's own report line
    try:
        rc = run.main(spec["argv"])
    finally:
        printed, sys.stdout = sys.stdout.getvalue(), sys.__stdout__
    wall = time.perf_counter() - t1
    out = {"rc": rc, "wall": wall, "import": imported, "printed": printed.strip(), "stages": STAGES,
           "sql_statements": statements[0]}
    if profiler is not None:
        profiler.stop()
        out["profile"] = profile_top(profiler.last_session, code=spec.get("code"))
    out["rss_mb"] = monitor.stop()
    Path(spec["out"]).write_text(json.dumps(out))


def profile_top(session, n: int = 12, code: str | None = None) -> dict:
    """Top functions by self time, and our own functions by inclusive time (recursion counted once).
    ``code``: the checkout whose pipeline ran (--baseline), else this one."""
    code = str(code or ROOT)
    self_time: dict[str, float] = {}
    inclusive: dict[str, float] = {}

    def label(frame) -> str:
        path = (frame.file_path or "").replace(code + "/", "")
        if "site-packages/" in path:
            path = path.split("site-packages/", 1)[1]
        elif "/lib/python3" in path:
            path = "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
        return f"{frame.function} ({path}:{frame.line_no})"

    def walk(frame, active: frozenset) -> None:
        if frame.function.startswith("["):  # pyinstrument's synthetic frames ([self], [await]...)
            for c in frame.children:
                walk(c, active)
            return
        name = label(frame)
        self_time[name] = self_time.get(name, 0.0) + frame.total_self_time
        path = frame.file_path or ""
        if name not in active and path.startswith(code) and "/bench/" not in path:
            inclusive[name] = inclusive.get(name, 0.0) + frame.time
        for c in frame.children:
            walk(c, active | {name})

    root = session.root_frame()
    if root is not None:
        walk(root, frozenset())
    top = lambda d: [[k, round(v, 3)] for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:n]]  # noqa: E731
    return {"total": round(session.duration, 3), "self": top(self_time), "ours_inclusive": top(inclusive)}


def run_child(spec: dict, tmp: Path) -> dict:
    out = tmp / f"child-{time.monotonic_ns()}.json"
    spec = {**spec, "out": str(out)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], cwd=str(ROOT),
                          capture_output=True, text=True)
    total = time.perf_counter() - t0
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"child {spec['argv']} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(out.read_text())
    result["process_total"] = total
    if result["rc"] != 0:
        raise RuntimeError(f"{spec['argv']} exited {result['rc']}: {result['printed']}\n{proc.stderr[-3000:]}")
    return result


# ---- set-up ----------------------------------------------------------------------------------------

def write_config(folder: Path, account, units_csv: str, *, workers: int, mailbox_addr: str,
                 admins: list[str], data_dir: str = "var", smtp: dict | None = None) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "units.csv").write_text(units_csv, encoding="utf-8")
    config = {"mailbox": {**account.mailbox_config(), "fetch_batch": 50},
              "smtp": {**(smtp or {"outdir": "sent"}), "from": mailbox_addr}, "admins": admins, "data_dir": data_dir,
              "campaign": {"units": "units.csv"}, "extraction": {"workers": workers}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def reingest_argv(config: Path, *, archive: bool = False) -> list[str]:
    return ["--config", str(config), "reingest", "--since", SINCE, "--until", UNTIL] + (
        ["--from-archive"] if archive else [])


# ---- the floor: the libraries alone ------------------------------------------------------------------

def floor_fetch(account, n: int) -> tuple[float, list[bytes]]:
    from imapclient import IMAPClient

    t0 = time.perf_counter()
    client = IMAPClient(account.host, account.port, ssl=False, timeout=60)
    client._imap.debug = 0  # imapclient sets 5: imaplib would repr() every literal
    client.login(account.user, account.password)
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]))
    raws: list[bytes] = []
    for start in range(0, len(uids), 50):
        chunk = uids[start:start + 50]
        response = client.fetch(chunk, ["BODY.PEEK[]"])
        raws += [response[u][b"BODY[]"] for u in chunk if u in response]
    client.logout()
    assert len(raws) == n, (len(raws), n)
    return time.perf_counter() - t0, raws


def _soffice_docx(data: bytes) -> bytes | None:
    soffice = shutil.which("soffice")
    if not soffice:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-floor") as tmp:
        src = Path(tmp) / "in.doc"
        src.write_bytes(data)
        subprocess.run([soffice, f"-env:UserInstallation={(Path(tmp) / 'p').as_uri()}", "--headless",
                        "--norestore", "--convert-to", "docx", "--outdir", tmp, str(src)],
                       capture_output=True, timeout=120, env={"HOME": tmp, "PATH": "/usr/bin:/bin"})
        out = Path(tmp) / "in.docx"
        return out.read_bytes() if out.exists() else None


def floor_read_file(data: bytes, counts: dict, depth: int = 0) -> None:
    """What the plain libraries do with one attachment: python-docx, python-calamine, pypdf, zipfile."""
    import docx
    import python_calamine
    from pypdf import PdfReader

    def word(blob: bytes) -> None:
        document = docx.Document(io.BytesIO(blob))
        _ = [p.text for p in document.paragraphs]
        _ = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]

    def sheets(blob: bytes) -> None:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(blob))
        _ = [book.get_sheet_by_name(name).to_python() for name in book.sheet_names]

    try:
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = zf.namelist()
                if "word/document.xml" in names:
                    counts["docx"] += 1
                    return word(data)
                if "xl/workbook.xml" in names:
                    counts["xlsx"] += 1
                    return sheets(data)
                counts["zip"] += 1
                for info in zf.infolist():
                    if not info.is_dir() and depth < 3:
                        floor_read_file(zf.read(info), counts, depth + 1)
        elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data:
                counts["doc"] += 1
                converted = _soffice_docx(data)
                if converted:
                    word(converted)
            else:
                counts["xls"] += 1
                sheets(data)
        elif b"%PDF-" in data[:1024]:
            counts["pdf"] += 1
            _ = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages[:50]]
        else:
            counts["other"] += 1
    except Exception:  # noqa: BLE001 - the floor reads, it does not judge
        counts["errors"] += 1


def floor_parse(raws: list[bytes]) -> tuple[float, dict]:
    import logging

    import mailparser

    logging.getLogger("mailparser").setLevel(logging.ERROR)  # it warns about rfc822-headers parts
    counts = dict.fromkeys(("mails", "docx", "xlsx", "zip", "doc", "xls", "pdf", "other", "errors"), 0)
    t0 = time.perf_counter()
    for raw in raws:
        mail = mailparser.parse_from_bytes(raw)
        _ = (mail.subject, mail.from_, mail.date, mail.text_plain, mail.text_html)
        counts["mails"] += 1
        for att in mail.attachments:
            payload = att.get("payload") or ""
            data = base64.b64decode(payload) if att.get("binary") else payload.encode("utf-8", "replace")
            floor_read_file(data, counts)
    return time.perf_counter() - t0, counts


# ---- synthetic ledgers --------------------------------------------------------------------------------

def synthetic_ledger(folder: Path, n_units: int, n_activities: int, *, mailbox: str = "bench", uidvalidity: int = 1,
                     n_messages: int | None = None, use_batch: bool = True) -> tuple[str, float]:
    """A ledger of ``n_units`` units, each with accepted mail carrying its share of ``n_activities``,
    written through pipeline/ledger/store.py. Returns the units CSV and the seconds it took."""
    from parsers.parsed import Activity
    from pipeline.ledger.records import Arrival, FileRecord, MessageResult
    from pipeline.ledger.store import Store

    rng = random.Random(5)
    cats = ["county", "zone", "member", "society", "enterprise_sa", "college_sa", "base", "project"]
    lines = ["unit_id,name,category,aliases,emails"]
    for i in range(n_units):
        lines.append(f"u{i:04d},唐山市第{i}科普单位,{cats[i % len(cats)]},,u{i:04d}@example.cn")
    n_messages = n_messages or n_units + n_units // 2
    per_unit = max(1, n_activities // n_units)
    tz = timezone(timedelta(hours=8))
    store = Store(folder / "ledger.sqlite3")
    t0 = time.perf_counter()
    base = datetime(2025, 9, 1, 9, 0, tzinfo=tz)
    arrivals, results = [], []
    for m in range(n_messages):
        unit = m % n_units
        when = base + timedelta(minutes=37 * m % (30 * 24 * 60))
        key = f"<bench-{m:06d}@example.cn>"
        arrivals.append(Arrival(mailbox, uidvalidity, str(m + 1), key, f"{m:064x}", key, when, when))
        acts = [] if m >= n_units else [
            Activity(f"科普活动{unit}-{k}", date(2025, 9, 1 + k % 28), date(2025, 9, 1 + k % 28), "唐山市路北区",
                     None, rng.choice(["online", "offline", None]), rng.randint(10, 900), None, None,
                     f"活动表.xlsx!Sheet1!R{k + 2}", {"date": f"9月{1 + k % 28}日"}) for k in range(per_unit)]
        results.append((key, MessageResult(
            outcome="accepted" if acts else "ignored", reason="已读取活动明细" if acts else "自动回复",
            kind="submission" if acts else "auto_reply", message_id=key, sender=f"u{unit:04d}@example.cn",
            sender_name="", subject=f"第{unit}单位科普月总结", received_at=when, late=when.day > 26,
            unit_id=f"u{unit:04d}" if acts else None, files=[FileRecord("活动表.xlsx", "xlsx", "parsed", None, len(acts))],
            activities=acts, carries_list=bool(acts), carries_narrative=bool(acts))))
    for start in range(0, len(arrivals), 1000):
        store.record_arrivals(arrivals[start:start + 1000])
    if use_batch and hasattr(store, "commit_many"):
        for start in range(0, len(results), 500):
            store.commit_many([(k, r, None) for k, r in results[start:start + 500]])
    else:
        for key, result in results:
            store.commit_message(key, result, None)
    store.close()
    return "\n".join(lines) + "\n", time.perf_counter() - t0


# ---- polls that acknowledge, to a real SMTP server on loopback ---------------------------------------------

def smtp_sink_config(sink) -> dict:
    """The sink's `smtp:` keys with the provider's limits lifted: every acknowledgment goes out now."""
    return {**sink.smtp_config(), "max_per_minute": 10**6, "max_per_day": 10**6,
            "max_per_recipient_per_day": 10**4}


def resent(raws: list[bytes], k: int) -> list[bytes]:
    """Copy ``k`` of ``raws`` under new Message-IDs (the same units sending again); copy 0 is ``raws``."""
    return raws if k == 0 else [r.replace(b"@sample.invalid>", f".g{k}@sample.invalid>".encode(), 1) for r in raws]


def stored_activities(data_dir: Path) -> tuple[int, int]:
    """(activities, units) in a ledger: what extraction and storage had to do."""
    import sqlite3

    db = sqlite3.connect(data_dir / "ledger.sqlite3")
    try:
        return tuple(db.execute("SELECT COUNT(*), COUNT(DISTINCT unit_id) FROM activities").fetchone())
    finally:
        db.close()


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


def per_msg_sql(r: dict, n: int) -> str:
    return f"{r.get('sql_statements', 0) / max(1, n):.1f} SQL/msg"


def print_stages(label: str, staged: dict, n: int) -> None:
    stages = dict(staged["stages"])
    read_total = stages.pop("read (sandbox total)", 0.0)
    inner = sum(stages.get(k, 0.0) for k in ("parse (MIME)", "extract (files)", "normalize"))
    stages["read: other (sandbox, assembling)"] = max(0.0, read_total - inner)
    stages["other (orchestration)"] = max(0.0, staged["wall"] - sum(stages.values()))
    print(f"\n## stages of a poll with acknowledgments ({label}), one process (workers: 0), profiled: "
          f"{staged['wall']:.2f} s; {per_msg_sql(staged, n)}")
    for name, secs in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  {name:36s} {secs:7.2f} s  {1000 * secs / n:6.2f} ms/msg  {100 * secs / staged['wall']:5.1f} %")
    prof = staged["profile"]
    print(f"  profile (pyinstrument), top self time of {prof['total']:.1f} s:")
    for name, secs in prof["self"]:
        print(f"    {secs:7.2f} s  {name}")
    print("  our functions, inclusive:")
    for name, secs in prof["ours_inclusive"]:
        print(f"    {secs:7.2f} s  {name}")


# ---- the run --------------------------------------------------------------------------------------------

def fmt_rate(n: int, seconds: float) -> str:
    return f"{seconds:7.2f} s  {n / seconds:7.1f} msg/s" if seconds else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="mails in the benchmark mailbox")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--big-mb", type=int, default=50, help="size of the big attachment for the memory run")
    ap.add_argument("--poll-n", type=int, default=10_000, help="processed messages in the nothing-new poll run")
    ap.add_argument("--units", type=int, default=1000, help="units in the digest/export ledger")
    ap.add_argument("--activities", type=int, default=10_000, help="activities in the digest/export ledger")
    ap.add_argument("--quick", action="store_true", help="n=200, poll-n=2000: a smoke run in under a minute")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the poll with acknowledgments (the key figure)")
    ap.add_argument("--baseline", type=Path, help="another checkout (e.g. `git archive` of an older commit): "
                    "its poll and reingest are measured in the same run, interleaved with this one's")
    ap.add_argument("--growth", type=int, default=10_000, help="mails in the growth run (phase growth)")
    ap.add_argument("--no-profile", action="store_true", help="skip the in-process profiled stage run")
    ap.add_argument("--only", default=",".join(PHASES), help=f"comma-separated phases of {','.join(PHASES)}")
    ap.add_argument("--json", type=Path, help="also write all figures here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    if args.quick:
        args.n, args.poll_n = min(args.n, 200), min(args.poll_n, 2000)
    if not sys.platform.startswith("linux"):
        print("bench/ingest.py needs Linux (Dovecot, /proc)", file=sys.stderr)
        return 2

    import mailset

    phases = set(args.only.split(","))
    want = phases.__contains__
    from servers import DOVECOT_BIN, Dovecot, new_account

    if not os.path.exists(DOVECOT_BIN):
        print(f"{DOVECOT_BIN} missing: apt-get install dovecot-imapd", file=sys.stderr)
        return 2
    figures: dict = {"date": datetime.now().strftime("%Y-%m-%d %H:%M"), "n": args.n, "workers": args.workers,
                     "cpus": os.cpu_count()}
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    server = Dovecot()
    try:
        server.start()
        print(f"# ingest benchmark, {figures['date']}, {os.cpu_count()} CPUs, {args.n} mails, "
              f"{args.workers} workers")

        t0 = time.perf_counter()
        mails = mailset.build(args.n, args.seed)
        sizes = sorted(len(r) for r in mails.raws)
        with_att = [s for s in sizes if s >= 20 * 1024]
        figures["corpus"] = {"seconds": time.perf_counter() - t0, "mb": mails.total_bytes / MB,
                             "median_kb": statistics.median(sizes) / 1024,
                             "with_attachments": len(with_att),
                             "attachment_mail_kb": [min(with_att) / 1024, max(with_att) / 1024] if with_att else [],
                             "legacy": mails.legacy}
        c = figures["corpus"]
        print(f"corpus: {args.n} mails, {c['mb']:.0f} MB, median {c['median_kb']:.0f} KB; {len(with_att)} with "
              f"attachments ({c['attachment_mail_kb'][0]:.0f}-{c['attachment_mail_kb'][1]:.0f} KB), legacy "
              f"{mails.legacy}; built in {c['seconds']:.1f} s")

        account = new_account(server)
        t0 = time.perf_counter()
        account.append_many(mails.raws, list(mails.received))
        figures["load_seconds"] = time.perf_counter() - t0
        print(f"loaded into Dovecot in {figures['load_seconds']:.1f} s")

        floor = parse_s = None
        # -- floor
        if want("floor"):
            fetch_s, raws = floor_fetch(account, args.n)
            parse_s, counts = floor_parse(raws)
            del raws
            floor = fetch_s + parse_s
            figures["floor"] = {"fetch": fetch_s, "parse": parse_s, "total": floor, "files": counts}
            print("\n## floor (libraries alone, one process)")
            print(f"  fetch  UID FETCH BODY.PEEK[] (imapclient, debug off) {fmt_rate(args.n, fetch_s)}")
            print(f"  parse  mail-parser + python-docx + calamine (+pypdf, soffice) {fmt_rate(args.n, parse_s)}  {counts}")
            print(f"  total  {fmt_rate(args.n, floor)}   (two cores ideal: {fetch_s + parse_s / 2:.2f} s)")

        # -- pipeline
        if want("pipeline"):
            cfg = write_config(tmp / "run", account, mails.units_csv, workers=args.workers,
                               mailbox_addr=mails.mailbox_addr, admins=mails.admins)
            server_run = run_child({"argv": reingest_argv(cfg)}, tmp)
            archive_run = run_child({"argv": reingest_argv(cfg, archive=True)}, tmp)
            figures["pipeline"] = {"server": server_run, "archive": archive_run}
            if args.baseline:
                cfg_b = write_config(tmp / "run-baseline", account, mails.units_csv, workers=args.workers,
                                     mailbox_addr=mails.mailbox_addr, admins=mails.admins)
                figures["pipeline"]["baseline_server"] = run_child(
                    {"argv": reingest_argv(cfg_b), "code": str(args.baseline)}, tmp)
            figures["ratio"] = {"server": server_run["wall"] / floor, "archive": archive_run["wall"] / parse_s} \
                if floor else {"server": float("nan"), "archive": float("nan")}
            print(f"\n## pipeline ({args.workers} workers)")
            for name, r in (("reingest (server)", server_run), ("reingest --from-archive", archive_run)):
                rss = r["rss_mb"]
                print(f"  {name:24s} {fmt_rate(args.n, r['wall'])}  (+{r['import']:.2f} s imports; process "
                      f"{r['process_total']:.1f} s)  peak RSS parent {rss['parent']:.0f} MB, worker "
                      f"{rss.get('worker', 0):.0f} MB, forkserver {rss.get('forkserver', 0):.0f} MB, soffice "
                      f"{rss.get('soffice', 0):.0f} MB; {r['printed']}")
            print(f"  ratio pipeline/floor: server {figures['ratio']['server']:.2f} (target <= 1.0), "
                  f"archive/parse-floor {figures['ratio']['archive']:.2f}; {per_msg_sql(server_run, args.n)}")
            if args.baseline:
                b = figures["pipeline"]["baseline_server"]
                print(f"  baseline reingest (server) {fmt_rate(args.n, b['wall'])}  ratio "
                      f"{b['wall'] / floor if floor else float('nan'):.2f}; {per_msg_sql(b, args.n)}; "
                      f"peak RSS parent {b['rss_mb']['parent']:.0f} MB; {b['printed']}")

        # -- poll with acknowledgments to a loopback SMTP server (the key figure), repeated
        if want("acks"):
            from servers import SmtpSink

            sink = SmtpSink().start()
            try:
                smtp = smtp_sink_config(sink)
                labels = [("now", None)] + ([("baseline", str(args.baseline))] if args.baseline else [])
                acks: dict[str, list[dict]] = {label: [] for label, _ in labels}
                floors: list[float] = []
                for i in range(args.repeat):  # interleaved, so all see the same load on a shared machine
                    if want("floor"):  # the floor again, beside each round of polls
                        fetch_s, raws = floor_fetch(account, args.n)
                        floors.append(fetch_s + floor_parse(raws)[0])
                        del raws
                    for label, code in labels:
                        cfg_a = write_config(tmp / f"acks-{label}-{i}", account, mails.units_csv, workers=args.workers,
                                             mailbox_addr=mails.mailbox_addr, admins=mails.admins, smtp=smtp)
                        sink.clear()
                        r = run_child({"argv": ["--config", str(cfg_a), "poll"], "code": code}, tmp)
                        r["received"] = len(sink.messages)
                        r["activities"], r["units"] = stored_activities(tmp / f"acks-{label}-{i}" / "var")
                        acks[label].append(r)
                        shutil.rmtree(tmp / f"acks-{label}-{i}", ignore_errors=True)
            finally:
                sink.stop()
            figures["acks"] = {**acks, "floors": floors}
            if floors:
                print(f"\n## floor beside each round of polls: {spread(floors)}")
            print(f"\n## poll with acknowledgments to a loopback SMTP server (aiosmtpd), {args.workers} workers")
            for label, runs in acks.items():
                walls = [r["wall"] for r in runs]
                ratios = [w / f for w, f in zip(walls, floors)] if floors else [w / floor for w in walls] if floor else []
                rss = max(r["rss_mb"]["parent"] for r in runs)
                worker = max(r["rss_mb"].get("worker", 0) for r in runs)
                print(f"  {label:9s} poll {spread(walls)}; ratio to floor "
                      f"{'/'.join(f'{x:.2f}' for x in ratios) or '-'} (target <= 1.3); {runs[0]['received']} acks "
                      f"received; {runs[0]['activities']} activities of {runs[0]['units']} units stored; "
                      f"{per_msg_sql(runs[0], args.n)}; peak RSS parent {rss:.0f} MB, worker {worker:.0f} MB")
                print(f"            {runs[0]['printed']}")

        # -- reingest from the server, repeated, interleaved with the baseline and the floor
        if want("reingest"):
            labels = [("now", None)] + ([("baseline", str(args.baseline))] if args.baseline else [])
            rounds: dict[str, list] = {label: [] for label, _ in labels}
            floors = []
            for i in range(args.repeat):
                fetch_s, raws = floor_fetch(account, args.n)
                floors.append(fetch_s + floor_parse(raws)[0])
                del raws
                for label, code in labels:
                    cfg_r = write_config(tmp / f"reingest-{label}-{i}", account, mails.units_csv, workers=args.workers,
                                         mailbox_addr=mails.mailbox_addr, admins=mails.admins)
                    rounds[label].append(run_child({"argv": reingest_argv(cfg_r), "code": code}, tmp))
                    shutil.rmtree(tmp / f"reingest-{label}-{i}", ignore_errors=True)
            figures["reingest_rounds"] = {**rounds, "floors": floors}
            print(f"\n## reingest from the server, repeated; floor beside each round: {spread(floors)}")
            for label, runs in rounds.items():
                walls = [r["wall"] for r in runs]
                print(f"  {label:9s} reingest {spread(walls)}; ratio to floor "
                      f"{'/'.join(f'{w / f:.2f}' for w, f in zip(walls, floors))} (target <= 1.0); "
                      f"{per_msg_sql(runs[0], args.n)}; peak RSS parent {max(r['rss_mb']['parent'] for r in runs):.0f} MB")

        # -- stages, in-process and profiled
        if want("stages") and not args.no_profile:
            from servers import SmtpSink

            sink = SmtpSink().start()
            figures["stages"] = {}
            try:
                labels = [("now", None)] + ([("baseline", str(args.baseline))] if args.baseline else [])
                for label, code in labels:
                    cfg0 = write_config(tmp / f"stages-{label}", account, mails.units_csv, workers=0,
                                        mailbox_addr=mails.mailbox_addr, admins=mails.admins,
                                        smtp=smtp_sink_config(sink))
                    sink.clear()
                    staged = run_child({"argv": ["--config", str(cfg0), "poll"], "stages": True, "profile": True,
                                        "code": code}, tmp)
                    figures["stages"][label] = staged
                    print_stages(label, staged, args.n)
            finally:
                sink.stop()

        # -- memory with a big attachment
        if want("memory"):
            big = mailset.big_mail(mails.raws, args.big_mb)
            account_big = new_account(server)
            extra = mails.raws[:15]
            account_big.append_many(extra + [big], list(mails.received[:16]))
            cfg_big = write_config(tmp / "big", account_big, mails.units_csv, workers=args.workers,
                                   mailbox_addr=mails.mailbox_addr, admins=mails.admins)
            big_run = run_child({"argv": ["--config", str(cfg_big), "poll"]}, tmp)
            figures["big"] = {"mail_mb": len(big) / MB, **big_run}
            rss = big_run["rss_mb"]
            print(f"\n## memory: poll of 16 mails, one {len(big) / MB:.0f} MB ({args.big_mb} MB Word attachment)")
            print(f"  {big_run['wall']:.2f} s; peak RSS parent {rss['parent']:.0f} MB, worker {rss.get('worker', 0):.0f} MB, "
                  f"forkserver {rss.get('forkserver', 0):.0f} MB (target <= 300); {big_run['printed']}")

        # -- digest and export over a synthetic ledger
        if want("report"):
            led = tmp / "ledger"
            units_csv, built = synthetic_ledger(led / "var", args.units, args.activities)
            cfg_led = write_config(led, account, units_csv, workers=0, mailbox_addr=mails.mailbox_addr,
                                   admins=["admin@example.org"])
            export_run = run_child({"argv": ["--config", str(cfg_led), "export", "--format", "xlsx",
                                             "--out", str(led / "out.xlsx")]}, tmp)
            digest_run = run_child({"argv": ["--config", str(cfg_led), "digest", "--dry-run",
                                             "--date", "2025-09-20"]}, tmp)
            figures["report"] = {"ledger_seconds": built, "export": export_run, "digest": digest_run}
            print(f"\n## digest and export: {args.units} units, {args.activities} activities (ledger built in {built:.1f} s)")
            for name, r in (("export --format xlsx", export_run), ("digest --dry-run", digest_run)):
                print(f"  {name:22s} {r['wall']:6.2f} s (+{r['import']:.2f} s imports; process {r['process_total']:.1f} s)"
                      f"  target <= 3 s; peak RSS {r['rss_mb']['parent']:.0f} MB")

        # -- a poll with nothing new against a big processed mailbox
        if want("poll"):
            account_poll = new_account(server)
            tiny = [(f"From: u{i}@example.cn\r\nTo: tskxpjb@126.com\r\nSubject: t{i}\r\nMessage-ID: <p{i}@example.cn>\r\n"
                     f"Date: Mon, 15 Sep 2025 10:00:00 +0800\r\n\r\nhello {i}\r\n").encode() for i in range(args.poll_n)]
            t0 = time.perf_counter()
            uids = account_poll.append_many(tiny)
            appended = time.perf_counter() - t0
            pdir = tmp / "poll"
            from pipeline.config import MailboxConfig
            from pipeline.intake.mailbox import ImapSource
            name = ImapSource(MailboxConfig(**account_poll.mailbox_config())).name
            units_csv, built = synthetic_ledger(pdir / "var", 500, 2000, mailbox=name,
                                                uidvalidity=account_poll.uidvalidity(), n_messages=args.poll_n)
            assert len(uids) == args.poll_n
            cfg_poll = write_config(pdir, account_poll, units_csv, workers=args.workers,
                                    mailbox_addr=mails.mailbox_addr, admins=["admin@example.org"])
            poll_run = run_child({"argv": ["--config", str(cfg_poll), "poll"]}, tmp)
            poll_again = run_child({"argv": ["--config", str(cfg_poll), "poll"]}, tmp)
            figures["poll"] = {"mailbox": args.poll_n, "append_seconds": appended, "ledger_seconds": built,
                               "first": poll_run, "again": poll_again}
            print(f"\n## poll, nothing new, {args.poll_n} processed messages in the mailbox")
            for label, r in (("poll", poll_run), ("poll again", poll_again)):
                print(f"  {label:22s} {r['wall']:6.2f} s (+{r['import']:.2f} s imports)  target <= 0.5 s; {r['printed']}")
        # -- how the costs grow with the ledger: n and --growth mails, each a fresh ledger
        if want("growth"):
            from servers import SmtpSink

            sink = SmtpSink().start()
            growth = {}
            try:
                for size in (args.n, args.growth):
                    copies = -(-size // args.n)
                    acc = new_account(server)
                    t0 = time.perf_counter()
                    for k in range(copies):  # loaded copy by copy: the whole set is never in memory at once
                        left = size - k * args.n
                        acc.append_many(resent(mails.raws, k)[:left], list(mails.received)[:left])
                    loaded = time.perf_counter() - t0
                    gdir = tmp / f"growth-{size}"
                    cfg_g = write_config(gdir, acc, mails.units_csv, workers=args.workers,
                                         mailbox_addr=mails.mailbox_addr, admins=mails.admins,
                                         smtp=smtp_sink_config(sink))
                    sink.clear()
                    row = {"loaded": loaded, "poll": run_child({"argv": ["--config", str(cfg_g), "poll"]}, tmp)}
                    row["acks"] = len(sink.messages)
                    sink.clear()
                    row["poll_nothing_new"] = run_child({"argv": ["--config", str(cfg_g), "poll"]}, tmp)
                    row["reingest"] = run_child({"argv": reingest_argv(cfg_g)}, tmp)
                    row["export"] = run_child({"argv": ["--config", str(cfg_g), "export", "--format", "xlsx",
                                                        "--out", str(gdir / "out.xlsx")]}, tmp)
                    row["digest"] = run_child({"argv": ["--config", str(cfg_g), "digest", "--dry-run",
                                                        "--date", "2025-09-30"]}, tmp)
                    growth[size] = row
                    shutil.rmtree(gdir, ignore_errors=True)
                    sink.clear()
            finally:
                sink.stop()
            figures["growth"] = growth
            small, big = growth[args.n], growth[args.growth]
            factor = args.growth / args.n
            print(f"\n## growth: {args.n} -> {args.growth} mails (x{factor:.0f}), fresh ledger each, {args.workers} workers")
            print(f"  {'':22s} {args.n:>8d} {args.growth:>9d}   ratio (linear = {factor:.0f})")
            for name in ("poll", "poll_nothing_new", "reingest", "export", "digest"):
                a, b = small[name]["wall"], big[name]["wall"]
                print(f"  {name:22s} {a:7.2f} s {b:8.2f} s   {b / a:6.1f}   {per_msg_sql(small[name], args.n)} / "
                      f"{per_msg_sql(big[name], args.growth)}; peak RSS {small[name]['rss_mb']['parent']:.0f} / "
                      f"{big[name]['rss_mb']['parent']:.0f} MB")
            print(f"  acks received {small['acks']} / {big['acks']}; {big['poll']['printed']}")
    finally:
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    recorded = ROOT / "bench" / "RESULTS.md"
    if recorded.exists():
        print(f"\n## recorded before/after figures ({recorded.relative_to(ROOT)})\n")
        print(recorded.read_text(encoding="utf-8"))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
