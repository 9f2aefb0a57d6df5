"""What OCR costs: seconds per page on this machine's cores, peak memory of the parser tree, and whether an
ordinary mail's acknowledgment waits for scans queued beside it.

    python bench/ocr.py [--scans 10] [--skip-latency]

Pages are tables LibreOffice laid out, degraded as in tests/test_ocr.py (a 200 dpi scan with a seal, a
150 dpi photo at an angle, a table without lines). The latency part runs `run.py poll` in a child process
over a local Maildir holding N scan mails (one PNG each, from N units) and, arriving last, one ordinary
mail (an .xlsx table), and reads from the ledger when each message was committed with its acknowledgment:
  alone      — the ordinary mail only;
  two-pass   — with the scans, as shipped (pictures read after the cycle's other mail is acknowledged);
  one-pass   — with the scans, pictures read in the first pass (the design before issue 17).
Figures go to bench/RESULTS-ocr.md.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import scanbuild as sb  # noqa: E402
import scantables as st  # noqa: E402

from parsers import memwatch  # noqa: E402

ONE_PASS = ("import sys; import parsers.read_mail as rm; import pipeline.intake.ingest as ig;"
            "ig.Reader.read_many = lambda self, raws: [r if not isinstance(r, ig.SandboxFailure) else"
            " self._read_part_by_part(raw) for raw, r in zip(raws, self.sandbox.run_many("
            "[(rm.read_mail, (raw, self.year, True)) for raw in raws]))];"
            "from run import main; sys.exit(main(sys.argv[1:]))")


def pages() -> dict[str, np.ndarray]:
    a = sb.rasterise(sb.table_pdf(st.TABLE_A, st.TITLE_A), 200)
    a = sb.scanned(a, 1, 2.0, seal_at=(int(a.width * 0.62), int(a.height * 0.17)))
    b = sb.photographed(sb.rasterise(sb.table_pdf(st.TABLE_B, st.TITLE_B), 150), 2)
    c = sb.scanned(sb.rasterise(sb.table_pdf(st.TABLE_C, st.TITLE_C, border=False), 180), 3, -1.5)
    return {"scan A4 200dpi, seal": np.asarray(a), "photo 150dpi, angle": np.asarray(b),
            "no lines 180dpi": np.asarray(c)}


def per_page(threads: int) -> dict:
    """Seconds per page in a fresh process with ``threads`` ONNX threads (engine load reported apart)."""
    code = ("import json, sys, time, resource, numpy as np; t = time.monotonic();"
            "from parsers import ocr_engine; ocr_engine.engine(); load = time.monotonic() - t;"
            "from parsers.scan import read_page; out = {};"
            "data = np.load(sys.argv[1]);"
            "[read_page(data[k], 'p') for k in list(data)[:1]];"  # warm-up
            "out = {k: (lambda s: (read_page(data[k], 'p'), time.monotonic() - s)[1])(time.monotonic())"
            " for k in data};"
            "print(json.dumps({'load_s': load, 'pages': out,"
            " 'maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pages.npz"
        np.savez(path, **{k.replace(" ", "_").replace(",", ""): v for k, v in pages().items()})
        out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True,
                             env=dict(os.environ, SUMMARY_OCR_THREADS=str(threads)), check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["threads"] = threads
    result["mean_s_per_page"] = round(sum(result["pages"].values()) / len(result["pages"]), 2)
    result["pages"] = {k: round(v, 2) for k, v in result["pages"].items()}
    result["load_s"], result["maxrss_mb"] = round(result["load_s"], 2), round(result["maxrss_mb"])
    return result


def _mail(sender: str, subject: str, when: datetime, name: str, data: bytes, mime: tuple[str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "tskxpjb@126.com", subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{abs(hash((sender, subject)))}@bench.example>"
    msg.set_content("科普月活动情况见附件。")
    msg.add_attachment(data, maintype=mime[0], subtype=mime[1], filename=name)
    return msg.as_bytes()


def _xlsx() -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet()
    for r, row in enumerate(st.TABLE_D):
        sheet.write_row(r, 0, row)
    book.close()
    return buf.getvalue()


def latency(scans: int, mode: str) -> dict:
    """Poll once over a Maildir of ``scans`` scan mails and one ordinary mail (arriving last)."""
    png = sb.encoded(sb.scanned(sb.rasterise(sb.table_pdf(st.TABLE_A, st.TITLE_A), 200), 1, 2.0), "PNG")
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        inbox = where / "inbox"
        for sub in ("new", "cur", "tmp"):
            (inbox / sub).mkdir(parents=True)
        units = ["unit_id,name,category,aliases,emails"]
        base = datetime(2025, 9, 20, 9, 0, tzinfo=timezone.utc)
        for i in range(scans):
            units.append(f"s{i},第{i}街道科协,county,,s{i}@example.org")
            raw = _mail(f"s{i}@example.org", f"第{i}街道科协科普月活动表（扫描件）", base.replace(minute=i),
                        "活动表扫描件.png", png, ("image", "png"))
            (inbox / "new" / f"{i:03d}.scan").write_bytes(raw)
        units.append("plain,丰南区科协,county,,plain@example.org")
        raw = _mail("plain@example.org", "丰南区科协科普月活动表", base.replace(minute=59), "活动表.xlsx", _xlsx(),
                    ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        (inbox / "new" / "999.plain").write_bytes(raw)
        (where / "units.csv").write_text("\n".join(units) + "\n", encoding="utf-8")
        (where / "config.yaml").write_text(yaml.safe_dump({
            "mailbox": {"maildir": "inbox", "username": "tskxpjb@126.com"},
            "smtp": {"outdir": "sent", "from": "tskxpjb@126.com"}, "data_dir": "var",
            "campaign": {"units": "units.csv"},
            "extraction": {"workers": 2, "timeout_seconds": 120, "memory_budget_mb": 1024}}), encoding="utf-8")
        argv = ["--config", str(where / "config.yaml"), "poll"]
        cmd = [sys.executable, "-c", ONE_PASS, *argv] if mode == "one-pass" else \
            [sys.executable, str(ROOT / "run.py"), *argv]
        began = datetime.now(timezone.utc)
        t0 = time.monotonic()
        child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0
        while child.poll() is None:
            peak = max(peak, sum(rss for _, rss in (memwatch.tree(child.pid) or {}).values()))
            time.sleep(0.05)
        wall = time.monotonic() - t0
        with sqlite3.connect(where / "var" / "ledger.sqlite3") as db:
            rows = db.execute("SELECT sender, processed_at, state FROM messages").fetchall()
            failed = [e for (e,) in db.execute("SELECT error FROM files WHERE status='failed'")]
        done = {s: datetime.fromisoformat(p) for s, p, state in rows if state == "done"}
        after = {s: round((t - began).total_seconds(), 1) for s, t in done.items()}
        scan_times = [v for s, v in after.items() if s != "plain@example.org"]
        return {"mode": mode, "scans": scans, "exit": child.returncode, "wall_s": round(wall, 1),
                "ordinary_ack_s": after.get("plain@example.org"),
                "scans_done": len(scan_times), "last_scan_s": max(scan_times, default=None),
                "peak_tree_mb": round(peak / 2**20), "files_failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=10)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}", flush=True)
    for threads in (2, 1):
        print(json.dumps(per_page(threads), ensure_ascii=False), flush=True)
    if args.skip_latency:
        return
    print(json.dumps(latency(0, "alone")), flush=True)
    for mode in ("two-pass", "one-pass"):
        print(json.dumps(latency(args.scans, mode)), flush=True)


if __name__ == "__main__":
    main()
