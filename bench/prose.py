"""How long reading activities out of prose takes (parsers/prose.py): a benchmark, not a test.

    python bench/prose.py

Prints seconds for the hand-written office styles of tests/test_prose.py (each read 200 times), for a long
report (the district style's three activities repeated 700 times: 2,100 paragraphs) and for hostile text
(one 520,000-character paragraph of dated clauses, 200,000 characters of 在 / 9月 / digits, open quotes).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_prose import CASES, DISTRICT  # noqa: E402

from parsers.prose import propose_from_mail_body, propose_from_text  # noqa: E402


def timed(text: str, repeat: int = 1) -> tuple[float, int]:
    start = time.perf_counter()
    for _ in range(repeat):
        rows = propose_from_text(text)
    return (time.perf_counter() - start) / repeat, len(rows)


def main() -> None:
    total = sum(timed(text, 200)[0] for text, _ in CASES.values())
    print(f"{len(CASES)} office styles: {total * 1000:.2f} ms for all of them (mean of 200 readings)")
    long = "\n".join(DISTRICT.splitlines()[5:8] * 700)
    seconds, rows = timed(long)
    print(f"long report: {len(long):,} characters, {rows} rows, {seconds:.2f} s")
    hostile = {"one paragraph of dated clauses": "9月15日，在某社区开展科普活动，参与群众300人，" * 20_000,
               "在 x 200,000": "在" * 200_000, "9月 x 100,000": "9月" * 100_000,
               "digits then 人": "1" * 100_000 + "人" * 100_000, "open quotes": "“" * 100_000 + "活动9月15日"}
    for name, text in hostile.items():
        start = time.perf_counter()
        rows = len(propose_from_mail_body(text))
        print(f"hostile, {name}: {len(text):,} characters, {rows} rows, {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
