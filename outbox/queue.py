"""The persistent outbox runner: send what is due, once, within the sending limits.

Like Mailman's out queue, with one more state to keep "sent once" honest across a crash:

    pending ──mark──▶ sending ──(message body sent)──▶ unconfirmed ──(250 to the final dot)──▶ sent
                         │                                  │
                         └ 4xx / cannot connect: pending    └ connection lost, or the process died:
                           (backoff); 5xx or too many          stays 'unconfirmed', never sent again
                           tries: failed                       automatically; reported for a person

A mail found ``sending`` after a crash is sent again: the server never received its final dot,
so it discarded the transaction (RFC 5321 §4.1.1.4). A mail found ``unconfirmed`` may or may
not have been accepted (the crash fell in the one round trip between our final dot and our
record of the server's 250); sending it again could deliver it twice, so it is reported instead.
That single round trip is the whole residual window; everything else is exactly once.

Failures that are the mail's own (a 4xx or 5xx answer to it) count towards ``max_attempts``;
failures of the machine (server unreachable, 421, the 126.com rate limits MI:SFQ / MI:DMC /
RP:DRC) do not: they stop the flush, the whole outbox waits with backoff and is kept for as
long as the outage lasts (``max_age`` bounds it: a mail still unsent after that is ``failed``).
Acknowledgments and reminders are capped per recipient per day (``max_per_recipient``, Mailman's
default is 10), so a mail loop cannot flood anyone; the surplus ends ``suppressed``.

The state lives in the store passed in (``pipeline.store.Store``), the only writer of the database.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from faults import checkpoint

from .smtp import FolderTransport, PermanentError, TransientError, UncertainError

log = logging.getLogger(__name__)

CAPPED_KINDS = ("ack", "reminder", "notice")
OUTAGE_STATE = "smtp_outage"  # store state: "<consecutive failures> <retry at ISO>"


@dataclass
class FlushReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    throttled: bool = False
    unconfirmed: int = 0
    suppressed: int = 0
    outage: str | None = None  # why nothing could be sent (server down, rate-limited)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most 2 hours."""
    return timedelta(minutes=min(120, 2 ** max(0, attempts - 1)))


def outage_backoff(failures: int) -> timedelta:
    """While the server is down: 1, 2, 4 … minutes, at most 30 (so mail leaves soon after it is back)."""
    return timedelta(minutes=min(30, 2 ** max(0, failures - 1)))


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


def _outage(store) -> tuple[int, datetime | None]:
    value = store.get_state(OUTAGE_STATE) or ""
    count, _, when = value.partition(" ")
    try:
        return int(count), datetime.fromisoformat(when)
    except ValueError:
        return 0, None


def _age(row, now: datetime) -> timedelta:
    try:
        created = datetime.fromisoformat(row["created_at"])
    except (TypeError, ValueError):
        return timedelta(0)
    return now - created


def flush(store, transport, *, sender: str, max_per_minute: int, max_per_day: int, max_attempts: int,
          now: datetime | None = None, max_per_recipient: int = 10,
          known_recipients: set[str] | None = None, max_per_stranger: int = 2,
          max_age: timedelta = timedelta(days=3)) -> FlushReport:
    """``known_recipients``: addresses of the units and the office; automatic replies to anyone else
    are capped at ``max_per_stranger`` a day (None: no such distinction)."""
    report = FlushReport()
    now = now or datetime.now(timezone.utc)
    checkpoint("flush_start")
    failures, retry_at = _outage(store)
    if retry_at is not None and retry_at > now:
        report.outage = f"SMTP unavailable, next try at {retry_at.isoformat(timespec='seconds')}"
        transport.close()
        return report
    per_recipient = _recent_per_recipient(store, now)
    # Counted once, then kept up to date here: only this process sends (outbox.lock), and every mail it
    # sends is stamped after ``now``, so these equal a fresh count before each mail, without scanning
    # the outbox twice per mail.
    sent_minute = store.sent_since(now - timedelta(minutes=1))
    sent_day = store.sent_since(now - timedelta(days=1))
    try:
        for row in _due(store, now):
            if sent_minute >= max_per_minute or sent_day >= max_per_day:
                report.throttled = True
                log.info("outbox: sending limit reached, the rest waits for the next flush")
                break
            recipients = json.loads(row["recipients"])
            cap = max_per_recipient
            if known_recipients is not None and any(r.lower() not in known_recipients for r in recipients):
                cap = min(cap, max_per_stranger)
            if row["kind"] in CAPPED_KINDS and any(per_recipient.get(r.lower(), 0) >= cap for r in recipients):
                who = "未登记地址" if cap < max_per_recipient else "收件人"
                store.outbox_mark(row["id"], "suppressed",
                                  error=f"每日自动回复上限（{cap}封/{who}）已到，未发送")
                report.suppressed += 1
                log.warning("outbox: %s %s to %s suppressed: %d automatic replies to this address today",
                            row["kind"], row["id"], recipients, cap)
                continue
            if row["state"] == "pending" and _age(row, now) > max_age:
                store.outbox_mark(row["id"], "failed", error=f"gave up: not sent within {max_age}")
                report.failed += 1
                log.error("outbox: mail %s to %s failed for good: not sent within %s", row["id"], recipients,
                          max_age)
                continue
            store.outbox_mark(row["id"], "sending", attempt=True)
            checkpoint("send_marked")
            mail_id = row["id"]
            try:
                if isinstance(transport, FolderTransport):  # idempotent: a rewrite replaces the same file
                    transport.send(sender, recipients, row["raw"], name=f"{row['id']:05d}-{row['kind']}")
                else:
                    transport.send(sender, recipients, row["raw"],
                                   on_commit=lambda: store.outbox_mark(mail_id, "unconfirmed"))
            except UncertainError as exc:
                store.outbox_mark(row["id"], "unconfirmed", error=str(exc))
                report.unconfirmed += 1
                log.error("outbox: mail %s to %s may or may not have been delivered (%s); not sent again, "
                          "listed for a person", row["id"], recipients, exc)
                break  # the connection is gone; the rest waits for the next flush
            except TransientError as exc:
                if exc.machine:  # the server, not this mail: do not count it against the mail
                    failures += 1
                    retry_at = now + outage_backoff(failures)
                    store.outbox_mark(row["id"], "pending", error=str(exc), next_try=retry_at, attempt=-1)
                    store.set_state(OUTAGE_STATE, f"{failures} {retry_at.isoformat()}")
                    report.retried += 1
                    report.throttled = True
                    report.outage = str(exc)
                    log.warning("outbox: SMTP unavailable (%s); %d mail(s) wait, next try at %s", exc,
                                len(store.outbox_due(now + timedelta(days=365))), retry_at.isoformat(timespec="seconds"))
                    break
                attempts = row["attempts"] + 1
                if attempts >= max_attempts:
                    store.outbox_mark(row["id"], "failed", error=f"gave up after {attempts} tries: {exc}")
                    report.failed += 1
                    log.error("outbox: mail %s to %s failed for good: %s", row["id"], recipients, exc)
                else:
                    store.outbox_mark(row["id"], "pending", error=str(exc), next_try=now + backoff(attempts))
                    report.retried += 1
                    log.warning("outbox: mail %s to %s deferred (%s), try %d", row["id"], recipients, exc, attempts)
                continue
            except PermanentError as exc:
                store.outbox_mark(row["id"], "failed", error=str(exc))
                report.failed += 1
                log.error("outbox: mail %s to %s refused: %s", row["id"], recipients, exc)
                continue
            checkpoint("smtp_after_accept")
            store.outbox_mark(row["id"], "sent")
            checkpoint("send_marked_sent")
            if failures:
                failures = 0
                store.set_state(OUTAGE_STATE, "")
            for r in recipients:
                per_recipient[r.lower()] = per_recipient.get(r.lower(), 0) + 1
            sent_minute += 1
            sent_day += 1
            report.sent += 1
            log.info("outbox: sent %s %s to %s", row["kind"], row["id"], recipients)
    finally:
        transport.close()
    checkpoint("flush_done")
    return report


def _recent_per_recipient(store, now: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in store.outbox_sent_since(now - timedelta(days=1), CAPPED_KINDS):
        for r in json.loads(row["recipients"]):
            counts[r.lower()] = counts.get(r.lower(), 0) + 1
    return counts
