"""The persistent outbox runner: send what is due, once, within the sending limits.

Like Mailman's out queue: a mail is marked ``sending`` before the attempt and ``sent``
right after; a temporary failure waits with backoff, a permanent one (or too many
temporary ones) ends ``failed`` and is reported in the digest. The state lives in the
store passed in (``pipeline.store.Store``), which is the only writer of the database.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .smtp import FolderTransport, PermanentError, TransientError

log = logging.getLogger(__name__)


@dataclass
class FlushReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    throttled: bool = False


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most 2 hours."""
    return timedelta(minutes=min(120, 2 ** max(0, attempts - 1)))


def _due(store, now: datetime):
    """Everything due, in batches; a mail deferred now is not due again in this flush."""
    seen: set[int] = set()
    while True:
        rows = [r for r in store.outbox_due(now) if r["id"] not in seen]
        if not rows:
            return
        for row in rows:
            seen.add(row["id"])
            yield row


def flush(store, transport, *, sender: str, max_per_minute: int, max_per_day: int, max_attempts: int,
          now: datetime | None = None) -> FlushReport:
    report = FlushReport()
    now = now or datetime.now(timezone.utc)
    try:
        for row in _due(store, now):
            if store.sent_since(now - timedelta(minutes=1)) >= max_per_minute or \
                    store.sent_since(now - timedelta(days=1)) >= max_per_day:
                report.throttled = True
                log.info("outbox: sending limit reached, the rest waits for the next flush")
                break
            store.outbox_mark(row["id"], "sending", attempt=True)
            recipients = json.loads(row["recipients"])
            try:
                if isinstance(transport, FolderTransport):
                    transport.send(sender, recipients, row["raw"], name=f"{row['id']:05d}-{row['kind']}")
                else:
                    transport.send(sender, recipients, row["raw"])
            except TransientError as exc:
                attempts = row["attempts"] + 1
                if attempts >= max_attempts:
                    store.outbox_mark(row["id"], "failed", error=f"gave up after {attempts} tries: {exc}")
                    report.failed += 1
                    log.error("outbox: mail %s to %s failed for good: %s", row["id"], recipients, exc)
                else:
                    store.outbox_mark(row["id"], "pending", error=str(exc), next_try=now + backoff(attempts))
                    report.retried += 1
                    log.warning("outbox: mail %s to %s deferred (%s), try %d", row["id"], recipients, exc, attempts)
                if "MI:SFQ" in str(exc) or "too many" in str(exc).lower():
                    report.throttled = True
                    break
                continue
            except PermanentError as exc:
                store.outbox_mark(row["id"], "failed", error=str(exc))
                report.failed += 1
                log.error("outbox: mail %s to %s refused: %s", row["id"], recipients, exc)
                continue
            store.outbox_mark(row["id"], "sent")
            report.sent += 1
            log.info("outbox: sent %s %s to %s", row["kind"], row["id"], recipients)
    finally:
        transport.close()
    return report
