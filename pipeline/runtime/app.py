"""The pipeline's operations, as the commands use them: poll, reingest, flush.

``Pipeline`` holds what a command needs open (config, registry, ledger, archive, parser processes,
the ingest lock); the message path itself (fetch → archive → record → read → decide → commit) is
``pipeline/intake/ingest.py``, and sending is ``outbox/``.
"""
from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from faults import checkpoint
from outbox.queue import FlushReport, SendingLimits, flush
from outbox.smtp import FolderTransport, SmtpTransport
from parsers.sandbox import Sandbox
from pipeline.campaign.registry import Registry, load_registry
from pipeline.config import Config
from pipeline.intake.ingest import CycleReport, Ingestor, Progress
from pipeline.intake.mail_archive import Archive
from pipeline.intake.mailbox import MailSourceError
from pipeline.ledger.store import Store
from pipeline.locks import FileLock, try_lock
from pipeline.reporting.export import dataset

log = logging.getLogger(__name__)


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
        self.ingestor = Ingestor(config, self.registry, self.store, self.archive, lambda: self.sandbox)
        self._dataset: tuple[tuple, dict[str, Any]] | None = None

    def dataset(self, as_of: date | None = None) -> dict[str, Any]:
        """The export (``reporting/export.py``); today's is computed once per change of the ledger."""
        if as_of is not None:
            return dataset(self.config, self.registry, self.store, as_of)
        stamp = self.store.ledger_version()
        if self._dataset is None or self._dataset[0] != stamp:
            self._dataset = (stamp, dataset(self.config, self.registry, self.store))
        return self._dataset[1]

    @property
    def stop_requested(self) -> bool:
        """Set by the worker's signal handler: finish the message at hand, then stop."""
        return self.ingestor.stop_requested

    @stop_requested.setter
    def stop_requested(self, value: bool) -> None:
        self.ingestor.stop_requested = value

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            ex = self.config.extraction
            self._sandbox = Sandbox(workers=ex.workers, mem_limit_mb=ex.mem_limit_mb, timeout_s=ex.timeout_seconds,
                                    budget_mb=ex.memory_budget_mb)
        return self._sandbox

    @contextmanager
    def ingesting(self, what: str, wait: float | None = None) -> Iterator[None]:
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

    def release_sandbox(self) -> None:
        """Stop the parser processes, if any were started (the next use starts them again)."""
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None

    def close(self) -> None:
        self.release_sandbox()
        self.store.close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- send --------------------------------------------------------------------------------

    def transport(self) -> SmtpTransport | FolderTransport:
        smtp = self.config.smtp
        if smtp.host:
            assert smtp.port is not None  # the configuration fills it in from ssl/starttls
            return SmtpTransport(smtp.host, smtp.port, use_ssl=smtp.ssl, starttls=smtp.starttls,
                                 username=smtp.username,
                                 password=smtp.password.get_secret_value() if smtp.password else None,
                                 timeout=smtp.timeout_seconds, verify=smtp.ssl_verify,
                                 cafile=str(smtp.cafile) if smtp.cafile else None)
        assert smtp.outdir is not None  # the configuration requires smtp.host or smtp.outdir
        return FolderTransport(smtp.outdir)

    def flush_outbox(self) -> FlushReport:
        lock = try_lock(self.config.data_dir / "outbox.lock", "outbox")
        if lock is None:  # another process (a `poll` beside `serve`) is sending: never both at once
            log.info("outbox: another process is flushing it; leaving it to that one")
            return FlushReport()
        with lock:
            return flush(self.store, self.transport(), sender=self.config.sender_address,
                         limits=self.sending_limits(), known_recipients=self._known_addresses())

    def sending_limits(self) -> SendingLimits:
        smtp = self.config.smtp
        unlimited = 10**9  # a folder has no sending limits
        return SendingLimits(max_per_minute=smtp.max_per_minute if smtp.host else unlimited,
                             max_per_day=smtp.max_per_day if smtp.host else unlimited,
                             max_attempts=smtp.max_attempts, max_per_recipient=smtp.max_per_recipient_per_day,
                             max_per_stranger=smtp.max_per_stranger_per_day)

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
                self.ingestor.fetch_new(report, deadline=time.monotonic() + self.config.runtime.cycle_deadline_seconds)
            except MailSourceError as exc:  # mail already fetched is still read, and the outbox still flushed
                mailbox_error = exc
                log.error("fetch failed, carrying on with what is already fetched: %s", exc)
            self.ingestor.process_pending(report)
        report.flush = self.flush_outbox()
        self.store.set_last_poll(datetime.now(timezone.utc),
                                 report.line() + (f"; mailbox error: {mailbox_error}" if mailbox_error else ""))
        log.info("poll: %s", report.line())
        checkpoint("poll_done")
        if mailbox_error is not None:
            raise mailbox_error
        return report

    def reingest(self, since: date, until: date, *, from_archive: bool, send_acks: bool,
                 progress: Progress = True) -> CycleReport:
        report = CycleReport()
        with self.ingesting("reingest"):
            if from_archive:
                keys = self.store.keys_received_between(since.isoformat(), until.isoformat())
            else:
                keys = self.ingestor.fetch_range(since, until, report)
            self.store.requeue(keys)
            suffix = f"resend-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}" if send_acks else None
            self.ingestor.process_pending(report, progress=progress, ack_suffix=suffix)
        report.flush = self.flush_outbox()
        log.info("reingest %s..%s: %s", since, until, report.line())
        return report
