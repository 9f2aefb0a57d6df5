"""Speed of the pure mail parser, as figures (the test suite checks behaviour, never time).

    python bench/parsing.py [--runs 20]

Prints: parse_message on a 150 KB two-attachment mail (ms per mail; target < 50 ms), on a 210 KB header
(time and traced peak memory), and over every mail in ../shared/corpus/mail (total, slowest; target < 2 s each).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from corpus import CORPUS  # noqa: E402
from mailbuild import b_word, file_part, mail, multipart, q_word, text_part  # noqa: E402

from parsers.mime import parse_message  # noqa: E402

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def typical_mail() -> bytes:
    return mail(multipart("mixed", [
        multipart("alternative", [text_part("各位好，附件是总结。" * 300), text_part("<p>各位好</p>" * 300, "html")]),
        file_part(random.Random(1).randbytes(80_000), DOCX,
                  f'attachment; filename="{b_word("2025年科普月活动总结.docx", "GBK")}"'),
        file_part(random.Random(2).randbytes(25_000), XLSX, "attachment; filename*=UTF-8''%E8%A1%A8.xlsx"),
    ]), subject=b_word("活动总结"))


def huge_header_mail() -> bytes:
    folded = "\r\n ".join(q_word(f"Die heiße Zypernsonne {i}", "iso-8859-1") for i in range(3500))
    return mail(text_part("body"), subject=folded, extra=[("X-Big", "y" * 120_000)])


def per_call(raw: bytes, runs: int) -> list[float]:
    parse_message(raw)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parse_message(raw)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()

    raw = typical_mail()
    times = per_call(raw, args.runs)
    print(f"150 KB mail ({len(raw) // 1024} KB): median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms over {args.runs} runs (target < 50 ms)")

    raw = huge_header_mail()
    tracemalloc.start()
    start = time.perf_counter()
    parse_message(raw)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{len(raw) // 1024} KB header: {elapsed * 1000:.0f} ms, traced peak {peak / 1e6:.1f} MB (target < 1 s)")

    folder = CORPUS / "mail"
    if not folder.is_dir():
        print(f"corpus: {folder} absent, skipped")
        return
    timed = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        data = path.read_bytes()
        start = time.perf_counter()
        parse_message(data)
        timed.append((time.perf_counter() - start, path.name))
    total = sum(t for t, _ in timed)
    slowest = sorted(timed, reverse=True)[:3]
    print(f"corpus: {len(timed)} mails in {total:.2f} s; slowest "
          + ", ".join(f"{name} {t * 1000:.0f} ms" for t, name in slowest) + " (target < 2 s each)")


if __name__ == "__main__":
    main()
