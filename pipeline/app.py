"""The pipeline's operations, as the commands use them: poll, reingest, flush, status.

Stages, in order: fetch (mailbox) → archive (raw bytes, fsynced) → record (ledger, pending)
→ read (sandboxed parsers) → decide → commit (results + done mark + acknowledgment, one
transaction) → flush (outbox). Each stage can be re-run; none loses or repeats a message.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from faults import checkpoint
from outbox.queue import FlushReport, flush
from outbox.smtp import FolderTransport, SmtpTransport
from parsers.sandbox import Sandbox, SandboxFailure, SandboxUnavailable

from .mail_archive import Archive
from .campaign import current_list_keys, message_statuses, standing
from .config import Config
from .failures import is_machine_fault
from .decide import Context, Reader, decide, unreadable_result
from .locks import FileLock, try_lock
from .mailbox import Fetched, MailSourceError, header_date, message_key, open_source
from .records import Arrival, MessageResult
from .registry import Registry, load_registry
from .replies import build_ack, build_notice
from .store import Store

log = logging.getLogger(__name__)
BATCH = 16  # messages read in the sandbox at once: enough to keep both cores busy


@dataclass
class CycleReport:
    fetched: int = 0
    new: int = 0
    processed: int = 0
    failed: int = 0
    parked: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    flush: FlushReport | None = None
    sandbox_error: str | None = None  # the parsers could not run at all (machine fault)

    def line(self) -> str:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "none"
        sent = f"; sent {self.flush.sent}, deferred {self.flush.retried}, failed {self.flush.failed}" \
            if self.flush else ""
        if self.flush and (self.flush.unconfirmed or self.flush.suppressed):
            sent += f", unconfirmed {self.flush.unconfirmed}, suppressed {self.flush.suppressed}"
        if self.flush and self.flush.outage:
            sent += f" (mail server: {self.flush.outage})"
        trouble = f"; parsers could not run: {self.sandbox_error}" if self.sandbox_error else ""
        return (f"fetched {self.fetched} (new {self.new}); processed {self.processed} ({outcomes}); "
                f"errors {self.failed}, parked {self.parked}{sent}{trouble}")


def prepare_data_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, 0o700)  # raw mail and the ledger hold personal data
    return path


class Pipeline:
    def __init__(self, config: Config, registry: Registry | None = None):
        self.config = config
        self.registry = registry or load_registry(config.campaign.units)
        data_dir = prepare_data_dir(config.data_dir)
        self.store = Store(data_dir / "ledger.sqlite3", busy_timeout=config.runtime.ledger_wait_seconds)
        self.archive = Archive(data_dir / "archive")
        self._sandbox: Sandbox | None = None
        self._ingest_depth = 0  # the ingest lock is held (re-entrant within this process)
        self.lock_wait: float | None = None  # seconds to wait for the ingest lock (None: runtime.lock_wait_seconds)
        self.stop_requested = False  # set by the worker's signal handler: finish the message at hand, then stop

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            ex = self.config.extraction
            self._sandbox = Sandbox(workers=ex.workers, mem_limit_mb=ex.mem_limit_mb, timeout_s=ex.timeout_seconds,
                                    budget_mb=ex.memory_budget_mb)
        return self._sandbox

    @contextmanager
    def ingesting(self, what: str, wait: float | None = None):
        """Hold ``data_dir/ingest.lock`` while fetching and reading mail: two processes ingesting at once
        would read everything twice and each would take the other's work for a crash. Raises
        locks.Busy after ``wait`` seconds (default runtime.lock_wait_seconds)."""
        if self._ingest_depth:
            self._ingest_depth += 1
            try:
                yield
            finally:
                self._ingest_depth -= 1
            return
        wait = next(w for w in (wait, self.lock_wait, self.config.runtime.lock_wait_seconds) if w is not None)

        def waiting(who: str) -> None:
            log.warning("%s: another process is ingesting (%s); waiting up to %.0f s", what, who, wait)

        with FileLock(self.config.data_dir / "ingest.lock", what, wait=wait, on_wait=waiting):
            self._ingest_depth = 1
            try:
                yield
            finally:
                self._ingest_depth = 0

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
        self.store.close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- fetch and archive -------------------------------------------------------------------

    def _archive_batch(self, source, batch: list[Fetched]) -> list[Arrival]:
        arrivals = []
        for item in batch:
            digest = self.archive.put(item.raw)
            key, message_id = message_key(item.raw)
            arrivals.append(Arrival(source.name, source.uidvalidity, item.uid, key, digest, message_id,
                                    item.arrival_at, header_date(item.raw)))
        return arrivals

    def fetch(self, report: CycleReport, deadline: float | None = None) -> None:
        """New mail, archived and recorded batch by batch; ``deadline`` (time.monotonic()) bounds the
        conversation with an IMAP server."""
        with open_source(self.config.mailbox, deadline=deadline) as source:
            checkpoint("fetch_connected")
            known = self.store.known_uids(source.name, source.uidvalidity)
            for batch in source.fetch_new(known, known_key=self.store.known_keys):
                if isinstance(batch, tuple):  # a message already in the ledger under another UIDVALIDITY
                    uid, key = batch
                    self.store.record_arrivals([Arrival(source.name, source.uidvalidity, uid, key, "", key, None)])
                    continue
                checkpoint("fetch_batch_received")
                arrivals = self._archive_batch(source, batch)
                checkpoint("record_before")
                report.fetched += len(arrivals)
                report.new += self.store.record_arrivals(arrivals)
                checkpoint("record_after")
            checkpoint("fetch_done")
        log.info("fetch from %s: %d fetched, %d new", source.name, report.fetched, report.new)

    # -- process -----------------------------------------------------------------------------

    def _reported_after(self, result: MessageResult) -> int:
        if result.unit_id is None:
            return 0
        rows = self.store.unit_messages(result.unit_id)
        statuses = message_statuses(rows)
        # another address's list does not replace the one the unit's own address sent (campaign._vouched)
        held = result.standing != "own" and any(
            statuses[r["key"]].status == "accepted" and standing(r) == "own" and r["carries_list"] for r in rows)
        if result.outcome == "accepted" and result.carries_list and not held:
            return len(result.activities)
        current = current_list_keys(rows, statuses).get(result.unit_id)
        return self.store.activity_count(current)

    def _fail(self, key: str, attempts: int, reason: str, arrival, report: CycleReport) -> None:
        park = attempts >= self.config.extraction.max_attempts
        result = None
        if park:
            row = self.store.message(key)
            when = _parse_time(row["received_at"] if row else None) or _parse_time(arrival)
            raw = self.archive.get(row["sha256"]) if row and self.archive.has(row["sha256"]) else None
            result = unreadable_result(key, reason, raw, when, self.config.campaign.tz)
        self.store.record_failure(key, reason, park, result)
        checkpoint("failure_recorded")
        report.failed += 1
        report.parked += int(park)
        log.error("message %s failed (attempt %d%s): %s", key, attempts, ", parked" if park else "", reason)

    def process_pending(self, report: CycleReport, *, progress=False, ack_suffix: str | None = None) -> None:
        """``progress``: True for a terminal bar, or a callable ``total -> bar`` (``.update(n)``, ``.close()``)."""
        interrupted = self.store.charge_interrupted()
        if interrupted:
            log.warning("message %s was being processed when the worker last died; counted as a crash", interrupted)
        rows = self.store.pending()
        if not rows:
            return
        ctx = Context.build(self.config, self.registry, self._remembered())
        reader = Reader(self.sandbox, self.config.campaign.period[0].year)
        bar = progress(len(rows)) if callable(progress) else _progress(len(rows)) if progress else None
        for chunk, work, contents in self._read_batches(rows, reader, report):
            checkpoint("parse_after")
            for (row, attempts, _), content in zip(work, contents):
                if isinstance(content, SandboxFailure):
                    self._fail(row["key"], attempts, content.reason, row["arrival_at"], report)
                    continue
                try:
                    self.store.mark_in_process(row["key"])  # a death from here to the commit is charged to it
                    result = decide(content, ctx, _parse_time(row["arrival_at"]))
                    checkpoint("decide_after")
                    outgoing = None
                    if result.kind == "submission":
                        dedupe = f"ack:{row['key']}" + (f":{ack_suffix}" if ack_suffix else "")
                        outgoing = build_ack(row["key"], result, self.config, self.registry,
                                             self._reported_after(result), dedupe)
                    notices = self._notices(row["key"], result)
                    checkpoint("render_after")
                    self.store.commit_message(row["key"], result, outgoing, notices)
                    checkpoint("commit_after")
                except Exception as exc:  # a bug must not stop the cycle: keep the message for retry
                    if is_machine_fault(exc):  # a full disk, a locked ledger: not this message's fault
                        raise
                    log.exception("message %s: unexpected error", row["key"])
                    self._fail(row["key"], attempts, f"{type(exc).__name__}: {exc}", row["arrival_at"], report)
                    continue
                report.processed += 1
                report.outcomes[result.outcome] = report.outcomes.get(result.outcome, 0) + 1
            if bar:
                bar.update(len(chunk))
        if bar:
            bar.close()
        checkpoint("process_done")

    def _notices(self, key: str, result: MessageResult) -> list:
        """The unit's registered address hears when someone else submits in its name: on the first
        reading of the message only, never on a reingest or a reprocess."""
        if result.standing != "unverified" or (self.store.message(key) or {"processed_at": 1})["processed_at"]:
            return []
        rows = self.store.unit_messages(result.unit_id)
        statuses = message_statuses(rows)
        own_data = any(statuses[r["key"]].status == "accepted" and standing(r) == "own" for r in rows)
        notice = build_notice(key, result, self.config, self.registry, replaced_nothing=own_data)
        return [notice] if notice else []

    def _read_batches(self, rows, reader: Reader, report: CycleReport):
        """Claim and read the pending messages BATCH at a time, yielding (chunk, work, contents). While
        the caller decides and commits one batch, the parser processes already read the next; else
        they would sit idle through every batch's decisions. Claims stay a batch ahead at most."""
        chunks = [rows[start:start + BATCH] for start in range(0, len(rows), BATCH)]
        ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") \
            if self.config.extraction.workers > 0 else None
        try:
            upcoming = self._start_read(chunks[0], reader, ahead, report) \
                if chunks and not self.stop_requested else None
            for index in range(len(chunks)):
                if upcoming is None:
                    return
                chunk, work, reading = upcoming
                try:
                    contents = reading.result()
                except SandboxUnavailable as exc:
                    # the machine's fault, not the messages': give their attempts back and stop this cycle
                    self.store.unclaim([row["key"] for row, _, _ in work])
                    report.sandbox_error = str(exc)
                    log.error("parsers cannot run (%s): %d message(s) stay pending, untouched; next cycle retries",
                              exc, len(self.store.pending()))
                    return
                upcoming = None
                if index + 1 < len(chunks) and not self.stop_requested:
                    upcoming = self._start_read(chunks[index + 1], reader, ahead, report)
                yield chunk, work, contents
                if self.stop_requested and upcoming is not None:  # read, but not to be decided now
                    wait([upcoming[2]])
                    self.store.unclaim([row["key"] for row, _, _ in upcoming[1]])
                    return
        finally:
            if ahead is not None:
                ahead.shutdown(wait=True)

    def _start_read(self, chunk, reader: Reader, ahead: ThreadPoolExecutor | None, report: CycleReport):
        """Claim a batch (an attempt counted for each message) and hand it to the parsers."""
        work = []
        claimed = self.store.claim_many([row["key"] for row in chunk])
        for row in chunk:
            attempts = claimed[row["key"]]
            checkpoint("claim_after")
            if attempts > self.config.extraction.max_attempts:
                self._fail(row["key"], attempts, "多次处理均失败（处理时程序中断）", row["arrival_at"], report)
                continue
            try:
                work.append((row, attempts, self.archive.get(row["sha256"])))
            except OSError as exc:
                self._fail(row["key"], attempts, f"原始邮件文件缺失：{exc}", row["arrival_at"], report)
        checkpoint("parse_before")
        raws = [raw for _, _, raw in work]
        if ahead is not None:
            return chunk, work, ahead.submit(reader.read_many, raws)
        reading: Future = Future()  # no parser processes (workers: 0): read here, in this thread
        try:
            reading.set_result(reader.read_many(raws))
        except SandboxUnavailable as exc:
            reading.set_exception(exc)
        return chunk, work, reading

    def _remembered(self) -> dict[str, str]:
        """Sender addresses an admin attributed to a unit (``review assign``)."""
        return self.store.remembered_senders()

    # -- send --------------------------------------------------------------------------------

    def transport(self):
        smtp = self.config.smtp
        if smtp.host:
            return SmtpTransport(smtp.host, smtp.port, use_ssl=smtp.ssl, starttls=smtp.starttls,
                                 username=smtp.username,
                                 password=smtp.password.get_secret_value() if smtp.password else None,
                                 timeout=smtp.timeout_seconds, verify=smtp.ssl_verify,
                                 cafile=str(smtp.cafile) if smtp.cafile else None)
        return FolderTransport(smtp.outdir)

    def flush_outbox(self) -> FlushReport:
        smtp = self.config.smtp
        unlimited = 10**9  # a folder has no sending limits
        lock = try_lock(self.config.data_dir / "outbox.lock", "outbox")
        if lock is None:  # another process (a `poll` beside `serve`) is sending: never both at once
            log.info("outbox: another process is flushing it; leaving it to that one")
            return FlushReport()
        with lock:
            return flush(self.store, self.transport(), sender=self.config.sender_address,
                         max_per_minute=smtp.max_per_minute if smtp.host else unlimited,
                         max_per_day=smtp.max_per_day if smtp.host else unlimited,
                         max_attempts=smtp.max_attempts,
                         max_per_recipient=getattr(smtp, "max_per_recipient_per_day", 10),
                         known_recipients=self._known_addresses(),
                         max_per_stranger=getattr(smtp, "max_per_stranger_per_day", 2))

    def _known_addresses(self) -> set[str]:
        """Addresses registered for a unit or confirmed by an admin, and the office's own: everyone else
        is a stranger, whose automatic replies are capped far lower (the account's reputation)."""
        return ({a.lower() for a in self.registry.by_email} | set(self.store.remembered_senders())
                | {a.lower() for a in self.config.admins} | self.config.own_addresses)

    # -- commands ----------------------------------------------------------------------------

    def poll(self) -> CycleReport:
        """One cycle. Talking to the mail server is bounded by runtime.cycle_deadline_seconds however the
        server behaves (a stall, a byte every few seconds): what is not fetched by then waits for the next
        cycle; what was fetched is archived and recorded already, and is read now. Reading is bounded per
        file by the sandbox's limits."""
        report = CycleReport()
        mailbox_error = None
        with self.ingesting("poll"):
            try:
                self.fetch(report, deadline=time.monotonic() + self.config.runtime.cycle_deadline_seconds)
            except MailSourceError as exc:  # mail already fetched is still read, and the outbox still flushed
                mailbox_error = exc
                log.error("fetch failed, carrying on with what is already fetched: %s", exc)
            self.process_pending(report)
        report.flush = self.flush_outbox()
        self.store.set_state("last_poll", datetime.now(timezone.utc).isoformat())
        self.store.set_state("last_poll_report", report.line() + (f"; mailbox error: {mailbox_error}"
                                                                  if mailbox_error else ""))
        log.info("poll: %s", report.line())
        checkpoint("poll_done")
        if mailbox_error is not None:
            raise mailbox_error
        return report

    def reingest(self, since: date, until: date, *, from_archive: bool, send_acks: bool,
                 progress=True) -> CycleReport:
        report = CycleReport()
        with self.ingesting("reingest"):
            if from_archive:
                keys = self.store.keys_received_between(since.isoformat(), until.isoformat())
            else:
                keys = []
                with open_source(self.config.mailbox) as source:
                    for batch in source.fetch_between(since, until):
                        arrivals = self._archive_batch(source, batch)
                        report.fetched += len(arrivals)
                        report.new += self.store.record_arrivals(arrivals)
                        keys += [a.key for a in arrivals]
                in_range = set(self.store.keys_received_between(since.isoformat(), until.isoformat()))
                keys = [k for k in dict.fromkeys(keys)
                        if k in in_range or (self.store.message(k) or {"received_at": None})["received_at"] is None]
            self.store.requeue(keys)
            suffix = f"resend-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}" if send_acks else None
            self.process_pending(report, progress=progress, ack_suffix=suffix)
        report.flush = self.flush_outbox()
        log.info("reingest %s..%s: %s", since, until, report.line())
        return report


def _parse_time(value) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _progress(total: int):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="mail", desc="ingest", file=sys.stderr, disable=not sys.stderr.isatty())
