"""The message path, from the mailbox to the ledger: fetch → archive → record → claim → read → decide
→ acknowledge → commit. One owner for it, used by ``poll``, ``reingest`` and the review commands.

Each stage can be re-run and none loses or repeats a message: raw mail is archived (fsync + rename)
before it is recorded; an attempt is counted when a message is claimed, so a message that keeps
killing the worker is parked after ``extraction.max_attempts``; a message's results, its done mark and
its acknowledgment commit in one transaction. ``faults.checkpoint`` names the points the crash tests
kill the process at.
"""
from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable, Union

from faults import checkpoint
from outbox.queue import FlushReport
from parsers.mime import parse_message
from parsers.parsed import FileResult
from parsers.read_mail import MailContent, attachment_label, read_attachment, read_mail, sort_ranks, strip_data
from parsers.same_activity import dedupe_activities
from parsers.sandbox import Sandbox, SandboxFailure, SandboxUnavailable
from pipeline.campaign.registry import Registry
from pipeline.campaign.standing import current_list_keys, message_statuses, unit_views
from pipeline.config import Config
from pipeline.failures import is_machine_fault
from pipeline.intake.mail_archive import Archive
from pipeline.intake.mailbox import Fetched, header_date, message_key, open_source
from pipeline.judge.decide import Context, decide, unreadable_result
from pipeline.ledger.records import Arrival, MessageResult
from pipeline.ledger.rows import MessageRow
from pipeline.ledger.store import Store
from pipeline.outbound.replies import build_ack, build_notice

log = logging.getLogger(__name__)

# True for a terminal bar, or a callable total -> bar (with .update(n) and .close()), as ReingestJob
Progress = Union[bool, Callable[[int], Any]]
BATCH = 16  # messages read in the sandbox at once: enough to keep both cores busy
OCR_SECONDS = 90  # the most one cycle spends reading scans and photos (see Ingestor._read_pictures)


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


class Ingestor:
    """Moves mail from the mailbox into the ledger. ``sandbox`` is called when the parsers are needed
    (their processes start only then)."""

    def __init__(self, config: Config, registry: Registry, store: Store, archive: Archive,
                 sandbox: Callable[[], Sandbox]):
        self.config, self.registry, self.store, self.archive = config, registry, store, archive
        self.sandbox = sandbox
        self.stop_requested = False  # set by the worker's signal handler: finish the message at hand, then stop

    # -- fetch, archive, record ------------------------------------------------------------------

    def fetch_new(self, report: CycleReport, deadline: float | None = None) -> None:
        """New mail, archived and recorded batch by batch; ``deadline`` (time.monotonic()) bounds the
        conversation with an IMAP server."""
        with open_source(self.config.mailbox, deadline=deadline) as source:
            checkpoint("fetch_connected")
            known = self.store.known_uids(source.name, source.uidvalidity)
            self._take(source, source.fetch_new(known, known_key=self.store.known_keys), report)
            checkpoint("fetch_done")
        log.info("fetch from %s: %d fetched, %d new", source.name, report.fetched, report.new)

    def fetch_range(self, since: date, until: date, report: CycleReport) -> list[str]:
        """Every message the server holds for that date range, archived and recorded like new mail;
        the keys of those received in the range (or with no date of their own)."""
        with open_source(self.config.mailbox) as source:
            keys = self._take(source, source.fetch_between(since, until), report)
        in_range = set(self.store.keys_received_between(since.isoformat(), until.isoformat()))
        return [k for k in dict.fromkeys(keys)
                if k in in_range or _no_date(self.store.ingested(k))]

    def _take(self, source, batches: Iterable, report: CycleReport) -> list[str]:
        """Archive, then record, each batch the source yields; the keys of the messages seen."""
        keys = []
        for batch in batches:
            if isinstance(batch, tuple):  # a message already in the ledger under another UIDVALIDITY
                uid, key = batch
                self.store.record_arrivals([Arrival(source.name, source.uidvalidity, uid, key, "", key, None)])
                keys.append(key)
                continue
            checkpoint("fetch_batch_received")
            arrivals = [self._archived(source, item) for item in batch]
            checkpoint("record_before")
            report.fetched += len(arrivals)
            report.new += self.store.record_arrivals(arrivals)
            checkpoint("record_after")
            keys += [a.key for a in arrivals]
        return keys

    def _archived(self, source, item: Fetched) -> Arrival:
        digest = self.archive.put(item.raw)
        key, message_id = message_key(item.raw)
        return Arrival(source.name, source.uidvalidity, item.uid, key, digest, message_id,
                       item.arrival_at, header_date(item.raw))

    # -- claim, read, decide, acknowledge, commit --------------------------------------------------

    def _reported_after(self, result: MessageResult) -> dict[str, int]:
        """unit_id -> activities the unit counts once this message is committed (each unit of a mail
        carrying several units' files)."""
        parts: list[tuple[str, str | None, bool, int]] = \
            [(p.unit_id, p.standing, p.carries_list, len(p.activities)) for p in result.parts] or \
            ([(result.unit_id, result.standing, result.carries_list, len(result.activities))] if result.unit_id else [])
        out = {}
        for unit_id, standing_, carries_list, count in parts:
            rows = self.store.unit_messages(unit_id)
            statuses = message_statuses(rows)
            # another address's list does not replace the one the unit's own address sent (campaign._vouched)
            held = standing_ != "own" and any(
                view.unit_id == unit_id and statuses[view.key].status_for(unit_id) == "accepted"
                and view.standing == "own" and view.carries_list for r in rows for view in unit_views(r))
            if result.outcome == "accepted" and carries_list and not held:
                out[unit_id] = count
            else:
                out[unit_id] = self.store.activity_count(current_list_keys(rows, statuses).get(unit_id), unit_id)
        return out

    def _fail(self, key: str, attempts: int, reason: str, arrival, report: CycleReport) -> None:
        park = attempts >= self.config.extraction.max_attempts
        result = None
        if park:
            row = self.store.ingested(key)
            when = _parse_time(row.received_at if row else None) or _parse_time(arrival)
            raw = self.archive.get(row.sha256) if row and self.archive.has(row.sha256) else None
            result = unreadable_result(key, reason, raw, when, self.config.campaign.tz)
        self.store.record_failure(key, reason, park, result)
        checkpoint("failure_recorded")
        report.failed += 1
        report.parked += int(park)
        log.error("message %s failed (attempt %d%s): %s", key, attempts, ", parked" if park else "", reason)

    def process_pending(self, report: CycleReport, *, progress: Progress = False,
                        ack_suffix: str | None = None) -> None:
        """``progress``: True for a terminal bar, or a callable ``total -> bar`` (``.update(n)``, ``.close()``)."""
        interrupted = self.store.charge_interrupted()
        if interrupted:
            log.warning("message %s was being processed when the worker last died; counted as a crash", interrupted)
        rows = self.store.pending()
        if not rows:
            return
        ctx = Context.build(self.config, self.registry, self._remembered())
        reader = Reader(self.sandbox(), self.config.campaign.period[0].year)
        bar = progress(len(rows)) if callable(progress) else _progress(len(rows)) if progress else None
        deferred: list[tuple[MessageRow, int]] = []  # mails with pictures to OCR: read again once the rest is settled
        for chunk, work, contents in self._read_batches(rows, reader, report):
            checkpoint("parse_after")
            for (row, attempts, _), content in zip(work, contents):
                if isinstance(content, MailContent) and content.ocr_pending:
                    deferred.append((row, attempts))
                    continue
                self._settle(row, attempts, content, ctx, ack_suffix, report)
            if bar:
                bar.update(len(chunk))
        if deferred:
            self._read_pictures(deferred, reader, ctx, ack_suffix, report)
        if bar:
            bar.close()
        checkpoint("process_done")

    def _read_pictures(self, deferred: list[tuple[MessageRow, int]], reader: Reader, ctx: Context,
                       ack_suffix: str | None, report: CycleReport) -> None:
        """The second pass: mails holding scans or photos, read with OCR one at a time (one OCR process, on
        both cores, within the memory budget) after every other mail of the cycle is acknowledged. A cycle
        spends at most OCR_SECONDS here; the rest stay pending, their attempts given back, for the next cycle,
        so that new mail never waits behind a pile of scans for long."""
        # A fresh pool: one call at a time starts one worker only, which keeps the OCR models (~500 MB)
        # between mails; closing it afterwards gives that memory back. Two workers holding the models would
        # pass the memory budget and be killed.
        reader.sandbox.close()
        try:
            self._read_pictures_one_by_one(deferred, reader, ctx, ack_suffix, report)
        finally:
            reader.sandbox.close()

    def _read_pictures_one_by_one(self, deferred: list[tuple[MessageRow, int]], reader: Reader, ctx: Context,
                                  ack_suffix: str | None, report: CycleReport) -> None:
        started = time.monotonic()
        for index, (row, attempts) in enumerate(deferred):
            if self.stop_requested or (index and time.monotonic() - started > OCR_SECONDS):  # one at least
                left = [r.key for r, _ in deferred[index:]]
                self.store.unclaim(left)
                log.info("OCR: %d mail(s) with pictures left for the next cycle", len(left))
                return
            try:
                raw = self.archive.get(row.sha256)
            except OSError as exc:
                self._fail(row.key, attempts, f"原始邮件文件缺失：{exc}", row.arrival_at, report)
                continue
            try:
                content = reader.read_with_ocr(raw)
            except SandboxUnavailable as exc:
                self.store.unclaim([r.key for r, _ in deferred[index:]])
                report.sandbox_error = str(exc)
                return
            self._settle(row, attempts, content, ctx, ack_suffix, report)

    def _settle(self, row: MessageRow, attempts: int, content: MailContent | SandboxFailure, ctx: Context,
                ack_suffix: str | None, report: CycleReport) -> None:
        """Decide one message read, write its acknowledgment, commit."""
        if isinstance(content, SandboxFailure):
            self._fail(row.key, attempts, content.reason, row.arrival_at, report)
            return
        try:
            self.store.mark_in_process(row.key)  # a death from here to the commit is charged to it
            result = decide(content, ctx, _parse_time(row.arrival_at))
            if result.kind == "submission" and result.unit_id:
                result.general_activities = dedupe_activities(content.general_activities)
            checkpoint("decide_after")
            outgoing = None
            if result.kind == "submission":
                dedupe = f"ack:{row.key}" + (f":{ack_suffix}" if ack_suffix else "")
                outgoing = build_ack(row.key, result, self.config, self.registry,
                                     self._reported_after(result), dedupe)
            notices = self._notices(row.key, result)
            checkpoint("render_after")
            self.store.commit_message(row.key, result, outgoing, notices)
            checkpoint("commit_after")
        except Exception as exc:  # a bug must not stop the cycle: keep the message for retry
            if is_machine_fault(exc):  # a full disk, a locked ledger: not this message's fault
                raise
            log.exception("message %s: unexpected error", row.key)
            self._fail(row.key, attempts, f"{type(exc).__name__}: {exc}", row.arrival_at, report)
            return
        report.processed += 1
        report.outcomes[result.outcome] = report.outcomes.get(result.outcome, 0) + 1

    def _notices(self, key: str, result: MessageResult) -> list:
        """The unit's registered address hears when someone else submits in its name: on the first
        reading of the message only, never on a reingest or a reprocess."""
        if _processed_before(self.store.ingested(key)):
            return []
        units = [p.unit_id for p in result.parts if p.standing == "unverified"] or \
            ([result.unit_id] if result.unit_id and result.standing == "unverified" and not result.parts else [])
        notices = []
        for unit_id in units:
            rows = self.store.unit_messages(unit_id)
            statuses = message_statuses(rows)
            own_data = any(view.unit_id == unit_id and statuses[view.key].status_for(unit_id) == "accepted"
                           and view.standing == "own" for r in rows for view in unit_views(r))
            notice = build_notice(key, result, self.config, self.registry, replaced_nothing=own_data, unit_id=unit_id)
            if notice:
                notices.append(notice)
        return notices

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
                    self.store.unclaim([row.key for row, _, _ in work])
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
                    self.store.unclaim([row.key for row, _, _ in upcoming[1]])
                    return
        finally:
            if ahead is not None:
                ahead.shutdown(wait=True)

    def _start_read(self, chunk, reader: Reader, ahead: ThreadPoolExecutor | None, report: CycleReport):
        """Claim a batch (an attempt counted for each message) and hand it to the parsers."""
        work = []
        claimed = self.store.claim_many([row.key for row in chunk])
        for row in chunk:
            attempts = claimed[row.key]
            checkpoint("claim_after")
            if attempts > self.config.extraction.max_attempts:
                self._fail(row.key, attempts, "多次处理均失败（处理时程序中断）", row.arrival_at, report)
                continue
            try:
                work.append((row, attempts, self.archive.get(row.sha256)))
            except OSError as exc:
                self._fail(row.key, attempts, f"原始邮件文件缺失：{exc}", row.arrival_at, report)
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


def _no_date(row: MessageRow | None) -> bool:
    return row is None or row.received_at is None


def _processed_before(row: MessageRow | None) -> bool:
    """Read at least once before (a missing row counts as read: send nothing twice)."""
    return row is None or row.processed_at is not None


class Reader:
    """Runs the parsers in sandboxed workers; isolates the attachment that brings a worker down."""

    def __init__(self, sandbox: Sandbox, year: int):
        self.sandbox = sandbox
        self.year = year

    def read_many(self, raws: list[bytes]) -> list[MailContent | SandboxFailure]:
        """The first pass: pictures are not read (``ocr_pending`` says which mails have some)."""
        results = self.sandbox.run_many([(read_mail, (raw, self.year, False)) for raw in raws])
        return [self._read_part_by_part(raw) if isinstance(r, SandboxFailure) else r
                for raw, r in zip(raws, results)]

    def read_with_ocr(self, raw: bytes) -> MailContent | SandboxFailure:
        [result] = self.sandbox.run_many([(read_mail, (raw, self.year, True))])
        return self._read_part_by_part(raw) if isinstance(result, SandboxFailure) else result

    def _read_part_by_part(self, raw: bytes) -> MailContent | SandboxFailure:
        [envelope] = self.sandbox.run_many([(parse_message, (raw,))])
        if isinstance(envelope, SandboxFailure):
            return envelope
        calls = [(read_attachment, (attachment_label(a.name, a.path), a.data, a.content_type, self.year))
                 for a in envelope.attachments]
        content = MailContent(strip_data(envelope))
        for attachment, outcome in zip(envelope.attachments, self.sandbox.run_many(calls)):
            if isinstance(outcome, SandboxFailure):
                content.files.append(FileResult(attachment_label(attachment.name, attachment.path), "other",
                                                "failed", outcome.reason, size=len(attachment.data)))
            else:
                content.files += outcome[0]
                content.activities += outcome[1]
        return sort_ranks(content)


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
