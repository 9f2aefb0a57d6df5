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

The state lives in the store passed in (``pipeline.ledger.store.Store``), the only writer of the database.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator, Protocol, Sequence

from faults import checkpoint

from .smtp import FolderTransport, PermanentError, SmtpTransport, TransientError, UncertainError

log = logging.getLogger(__name__)

CAPPED_KINDS = ("ack", "reminder", "notice")


class QueuedMail(Protocol):
    """A row of the outbox as the store gives it (``pipeline.ledger.rows.OutboxRow``, read-only)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def created_at(self) -> str: ...
    @property
    def recipients(self) -> tuple[str, ...]: ...
    @property
    def raw(self) -> bytes: ...


class OutboxStore(Protocol):
    """What the queue needs of the ledger (``pipeline.ledger.store.Store`` is one)."""

    def outbox_due(self, now: datetime, limit: int = 100) -> Sequence[QueuedMail]: ...
    def outbox_sending(self, mail_id: int) -> None: ...
    def outbox_unconfirmed(self, mail_id: int, error: str | None = None) -> None: ...
    def outbox_sent(self, mail_id: int, note: str | None = None) -> None: ...
    def outbox_deferred(self, mail_id: int, error: str, next_try: datetime, *, counted: bool) -> None: ...
    def outbox_failed(self, mail_id: int, error: str) -> None: ...
    def outbox_suppressed(self, mail_id: int, error: str) -> None: ...
    def outbox_recipients_since(self, moment: datetime, kinds: tuple[str, ...]) -> list[tuple[str, ...]]: ...
    def sent_since(self, moment: datetime) -> int: ...
    def smtp_outage(self) -> tuple[int, datetime | None]: ...
    def set_smtp_outage(self, failures: int, retry_at: datetime | None) -> None: ...


Transport = SmtpTransport | FolderTransport


@dataclass(frozen=True)
class SendingLimits:
    """How much may leave, and for how long a mail is tried. ``max_per_recipient``: automatic replies
    (acks, notices, reminders) to one address a day; ``max_per_stranger``: the same to an address
    registered for no unit (the account's reputation)."""

    max_per_minute: int
    max_per_day: int
    max_attempts: int
    max_per_recipient: int = 10
    max_per_stranger: int = 2
    max_age: timedelta = timedelta(days=3)


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


def _due(store: OutboxStore, now: datetime) -> Iterator[QueuedMail]:
    """Everything due, in batches; a mail deferred now is not due again in this flush."""
    seen: set[int] = set()
    while True:
        rows = [r for r in store.outbox_due(now) if r.id not in seen]
        if not rows:
            return
        for row in rows:
            seen.add(row.id)
            yield row


def _age(row: QueuedMail, now: datetime) -> timedelta:
    try:
        created = datetime.fromisoformat(row.created_at)
    except (TypeError, ValueError):
        return timedelta(0)
    return now - created


def flush(store: OutboxStore, transport: Transport, *, sender: str, limits: SendingLimits,
          now: datetime | None = None, known_recipients: set[str] | None = None) -> FlushReport:
    """Send what is due. ``known_recipients``: addresses of the units and the office; automatic replies
    to anyone else are capped at ``limits.max_per_stranger`` a day (None: no such distinction)."""
    now = now or datetime.now(timezone.utc)
    checkpoint("flush_start")
    run = _Flush(store, transport, sender, now, limits, known_recipients)
    try:
        run.all_due()
    finally:
        transport.close()
    checkpoint("flush_done")
    return run.report


class _Flush:
    """One flush: the counts it keeps while sending, and what happens to each mail."""

    def __init__(self, store: OutboxStore, transport: Transport, sender: str, now: datetime, limits: SendingLimits,
                 known_recipients: set[str] | None):
        self.store, self.transport, self.sender, self.now = store, transport, sender, now
        self.limits, self.known_recipients = limits, known_recipients
        self.report = FlushReport()
        self.failures, self.retry_at = store.smtp_outage()

    def all_due(self) -> None:
        if self.retry_at is not None and self.retry_at > self.now:
            self.report.outage = f"SMTP unavailable, next try at {self.retry_at.isoformat(timespec='seconds')}"
            return
        self.per_recipient = _recent_per_recipient(self.store, self.now)
        # Counted once, then kept up to date here: only this process sends (outbox.lock), and every mail it
        # sends is stamped after ``now``, so these equal a fresh count before each mail, without scanning
        # the outbox twice per mail.
        self.sent_minute = self.store.sent_since(self.now - timedelta(minutes=1))
        self.sent_day = self.store.sent_since(self.now - timedelta(days=1))
        for row in _due(self.store, self.now):
            if self.sent_minute >= self.limits.max_per_minute or self.sent_day >= self.limits.max_per_day:
                self.report.throttled = True
                log.info("outbox: sending limit reached, the rest waits for the next flush")
                return
            recipients = list(row.recipients)
            if self._held_back(row, recipients):
                continue
            if not self._send(row, recipients):
                return  # the connection or the server is gone: the rest waits for the next flush

    def _cap(self, recipients: list[str]) -> int:
        if self.known_recipients is not None and any(r.lower() not in self.known_recipients for r in recipients):
            return min(self.limits.max_per_recipient, self.limits.max_per_stranger)
        return self.limits.max_per_recipient

    def _held_back(self, row: QueuedMail, recipients: list[str]) -> bool:
        """Over the per-recipient cap (suppressed) or too old to send (failed)."""
        cap = self._cap(recipients)
        if row.kind in CAPPED_KINDS and any(self.per_recipient.get(r.lower(), 0) >= cap for r in recipients):
            who = "未登记地址" if cap < self.limits.max_per_recipient else "收件人"
            self.store.outbox_suppressed(row.id, f"每日自动回复上限（{cap}封/{who}）已到，未发送")
            self.report.suppressed += 1
            log.warning("outbox: %s %s to %s suppressed: %d automatic replies to this address today",
                        row.kind, row.id, recipients, cap)
            return True
        if row.state == "pending" and _age(row, self.now) > self.limits.max_age:
            self.store.outbox_failed(row.id, f"gave up: not sent within {self.limits.max_age}")
            self.report.failed += 1
            log.error("outbox: mail %s to %s failed for good: not sent within %s", row.id, recipients,
                      self.limits.max_age)
            return True
        return False

    def _send(self, row: QueuedMail, recipients: list[str]) -> bool:
        """Send one mail and record what became of it; False when the flush must stop."""
        mail_id = row.id
        self.store.outbox_sending(mail_id)
        checkpoint("send_marked")
        try:
            if isinstance(self.transport, FolderTransport):  # idempotent: a rewrite replaces the same file
                self.transport.send(self.sender, recipients, row.raw, name=f"{mail_id:05d}-{row.kind}")
            else:
                self.transport.send(self.sender, recipients, row.raw,
                                    on_commit=lambda: self.store.outbox_unconfirmed(mail_id))
        except UncertainError as exc:
            self.store.outbox_unconfirmed(mail_id, str(exc))
            self.report.unconfirmed += 1
            log.error("outbox: mail %s to %s may or may not have been delivered (%s); not sent again, "
                      "listed for a person", mail_id, recipients, exc)
            return False
        except TransientError as exc:
            if exc.machine:  # the server, not this mail: do not count it against the mail
                self._outage(row, exc)
                return False
            self._deferred(row, recipients, exc)
            return True
        except PermanentError as exc:
            self.store.outbox_failed(mail_id, str(exc))
            self.report.failed += 1
            log.error("outbox: mail %s to %s refused: %s", mail_id, recipients, exc)
            return True
        checkpoint("smtp_after_accept")
        self.store.outbox_sent(mail_id)
        checkpoint("send_marked_sent")
        self._count_sent(recipients)
        log.info("outbox: sent %s %s to %s", row.kind, mail_id, recipients)
        return True

    def _outage(self, row: QueuedMail, exc: TransientError) -> None:
        self.failures += 1
        self.retry_at = self.now + outage_backoff(self.failures)
        self.store.outbox_deferred(row.id, str(exc), self.retry_at, counted=False)
        self.store.set_smtp_outage(self.failures, self.retry_at)
        self.report.retried += 1
        self.report.throttled = True
        self.report.outage = str(exc)
        log.warning("outbox: SMTP unavailable (%s); %d mail(s) wait, next try at %s", exc,
                    len(self.store.outbox_due(self.now + timedelta(days=365))),
                    self.retry_at.isoformat(timespec="seconds"))

    def _deferred(self, row: QueuedMail, recipients: list[str], exc: TransientError) -> None:
        attempts = row.attempts + 1
        if attempts >= self.limits.max_attempts:
            self.store.outbox_failed(row.id, f"gave up after {attempts} tries: {exc}")
            self.report.failed += 1
            log.error("outbox: mail %s to %s failed for good: %s", row.id, recipients, exc)
        else:
            self.store.outbox_deferred(row.id, str(exc), self.now + backoff(attempts), counted=True)
            self.report.retried += 1
            log.warning("outbox: mail %s to %s deferred (%s), try %d", row.id, recipients, exc, attempts)

    def _count_sent(self, recipients: list[str]) -> None:
        if self.failures:
            self.failures = 0
            self.store.set_smtp_outage(0, None)
        for r in recipients:
            self.per_recipient[r.lower()] = self.per_recipient.get(r.lower(), 0) + 1
        self.sent_minute += 1
        self.sent_day += 1
        self.report.sent += 1


def _recent_per_recipient(store: OutboxStore, now: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    for recipients in store.outbox_recipients_since(now - timedelta(days=1), CAPPED_KINDS):
        for r in recipients:
            counts[r.lower()] = counts.get(r.lower(), 0) + 1
    return counts
