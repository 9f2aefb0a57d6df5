"""The blind set (tests/blindmail) through a throwaway Dovecot, ``poll`` and ``export``: prints status, unit,
activity F1, acknowledgments and per-field accuracy, then each mail that differs from its hand-written outcome.

    .venv/bin/python bench/blind_mail.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))


def main() -> int:
    from blindmail import mails, score
    from servers import Dovecot, SmtpSink, new_account

    built = mails.build()
    server = Dovecot().start()
    sink = SmtpSink().start()
    try:
        with tempfile.TemporaryDirectory(prefix="blindmail-run-") as tmp:
            data, sent = score.run(built, new_account(server), sink, Path(tmp))
    finally:
        sink.stop()
        server.stop()
        server.cleanup()
    result = score.score(built, data, sent)
    print(result.summary())
    for line in result.failures:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
