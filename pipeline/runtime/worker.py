"""`serve`: the scheduled worker.

A first poll at once, then one every ``schedule.poll_every_minutes``; beside them, on a thread of
their own (``SideJobs``) so that a stuck or long poll never delays them, an outbox flush every
minute and the daily job (reminders on their days, then the digest) once a day at
``schedule.digest_at`` in the campaign's time zone, whatever the server's own zone (a worker that
was down at that hour runs it when it comes back).
With ``mailbox.idle: true`` and a server that offers IDLE, new mail triggers a poll within
seconds; without IDLE (126.com) the interval poll is all there is.

One worker per data_dir, guarded by a lock file. SIGINT/SIGTERM finish the message at hand,
commit, and exit 0. A failing poll (mailbox down, network gone) is logged and retried with a
growing pause (up to 30 minutes); SMTP failures wait in the outbox with their own backoff.

``now`` (a function returning an aware datetime) is injectable, so a test can run the worker at
any instant; ``max_cycles`` and ``tick`` let it run a few loop turns without sleeping.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import schedule

from pipeline import PipelineError
from pipeline.campaign.registry import Registry
from pipeline.config import Config

if TYPE_CHECKING:
    from pipeline.config import MailboxConfig
    from pipeline.intake.mailbox import ImapSource
    from pipeline.runtime.app import Pipeline

from pipeline.failures import explain, forget, remember
from pipeline.intake.mailbox import MailSourceError
from pipeline.ledger.store import utcnow
from pipeline.locks import Busy, FileLock

log = logging.getLogger(__name__)

IDLE_RENEW = timedelta(minutes=25)  # RFC 2177: servers may drop an IDLE after 30 minutes; re-issue before 29
MAX_BACKOFF = timedelta(minutes=30)
FLUSH_EVERY = 60  # seconds between outbox flushes


class AlreadyRunning(PipelineError):
    pass


def worker_lock(data_dir: Path) -> FileLock:
    return FileLock(data_dir / "worker.lock", "serve")


def digest_due(now_local: datetime, digest_at, last_sent_day: str | None) -> bool:
    return now_local.time() >= digest_at and last_sent_day != now_local.date().isoformat()


class Backoff:
    """After n failures in a row, wait base·2^(n-1) (at most MAX_BACKOFF) before the next try."""

    def __init__(self, base: timedelta):
        self.base = base
        self.failures = 0
        self.not_before: datetime | None = None

    def ready(self, now: datetime) -> bool:
        return self.not_before is None or now >= self.not_before

    def failed(self, now: datetime) -> timedelta:
        self.failures += 1
        pause = min(MAX_BACKOFF, self.base * 2 ** (self.failures - 1))
        self.not_before = now + pause
        return pause

    def succeeded(self) -> None:
        self.failures = 0
        self.not_before = None


class IdleWatcher:
    """A second IMAP connection in IDLE, so new mail is noticed within seconds.

    ``wait(timeout)`` returns True when the server announced new mail. The IDLE is re-issued
    every 25 minutes, and a dropped connection is reopened (with backoff) on a later call. If the
    server does not offer IDLE, ``supported`` becomes False and the worker only polls."""

    def __init__(self, mailbox_config: MailboxConfig, now: Callable[[], datetime] = utcnow,
                 renew: timedelta = IDLE_RENEW):
        self.config = mailbox_config
        self.now = now
        self.renew = renew
        self.source: ImapSource | None = None
        self.client: Any = None  # the source's IMAPClient (an untyped library)
        self.idle_since: datetime | None = None
        self.supported = True
        self.reconnect = Backoff(timedelta(seconds=2))
        self.connections = 0  # for tests and logs

    def _open(self) -> bool:
        from pipeline.intake.mailbox import ImapSource

        source = ImapSource(self.config)
        source.__enter__()
        client = source.client
        if not client.has_capability("IDLE"):
            source.__exit__(None, None, None)
            self.supported = False
            log.info("IMAP server %s offers no IDLE: polling every interval instead", self.config.host)
            return False
        client.idle()
        self.source, self.client, self.idle_since = source, client, self.now()
        self.connections += 1
        log.info("IMAP IDLE on %s (connection %d)", self.config.host, self.connections)
        return True

    def _drop(self) -> None:
        if self.source is not None:
            try:
                self.source.__exit__(None, None, None)
            except Exception:  # already gone
                pass
        self.source = self.client = self.idle_since = None

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True if new mail arrived (the caller then polls)."""
        if not self.supported:
            return False
        now = self.now()
        try:
            if self.client is None:
                if not self.reconnect.ready(now):
                    return False
                if not self._open():
                    return False
                self.reconnect.succeeded()
                return True  # mail may have arrived while we were not listening
            if self.idle_since is None or now - self.idle_since >= self.renew:
                self.client.idle_done()
                self.client.idle()
                self.idle_since = now
                log.info("IMAP IDLE renewed")
            responses = self.client.idle_check(timeout=timeout)
        except Exception as exc:  # a dropped or refused connection: reconnect later
            self._drop()
            pause = self.reconnect.failed(now)
            log.warning("IMAP IDLE connection lost (%s); reconnecting in %s", exc, pause)
            return False
        if any(len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
            return True
        if any(r and r[0] == b"BYE" for r in responses):
            self._drop()
        return False

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.idle_done()
            except Exception:
                pass
        self._drop()


def daily_job(pipeline: Pipeline, now: datetime) -> str | None:
    """Reminders (on their days) and then the digest, once per campaign-local day after digest_at."""
    from pipeline.outbound.digest import send_digest
    from pipeline.outbound.reminders import send_reminders

    config = pipeline.config
    local = now.astimezone(config.campaign.tz)
    if not digest_due(local, config.schedule.digest_at, pipeline.store.last_digest_day()):
        return None
    if config.reminders.days_before:
        log.info("%s", send_reminders(pipeline, local.date()).line())
    outcome = send_digest(pipeline, local.date(), scheduled=True, now=now)
    pipeline.store.set_last_digest_day(local.date().isoformat())
    log.info("digest: %s", outcome)
    return outcome


class SideJobs(threading.Thread):
    """The outbox flush (every minute) and the daily job, on a thread and a ledger connection of their
    own: a poll held up by a stalled mail server (up to runtime.cycle_deadline_seconds) or a long backlog
    does not hold up the mail going out or the digest. The daily job waits for the worker's first poll
    (reminders would otherwise go to units whose mail is still unread in the mailbox), and has its turn
    after it before the worker stops, unless a signal stops it."""

    def __init__(self, config: Config, registry: Registry, clock: Callable[[], datetime], stop: threading.Event, tick: float):
        super().__init__(name="outbox-and-digest", daemon=True)
        self.config, self.registry, self.clock, self.stop, self.tick = config, registry, clock, stop, tick
        self.halt = threading.Event()
        self.first_poll_done = threading.Event()
        self.backoff = Backoff(timedelta(minutes=5))

    def finish(self) -> None:
        """Stop once the daily job has had its turn after the first poll (as the first cycle always did)."""
        self.halt.set()
        self.join()

    def run(self) -> None:
        from pipeline.runtime.app import Pipeline

        try:
            with Pipeline(self.config, self.registry) as pipeline:
                next_flush = 0.0
                while True:
                    polled = self.first_poll_done.is_set()
                    if polled:
                        self.daily(pipeline)
                    if time.monotonic() >= next_flush:
                        self.flush(pipeline)
                        next_flush = time.monotonic() + FLUSH_EVERY
                    if self.stop.wait(max(self.tick, 0.05)):
                        break
                    if self.halt.is_set() and (polled or not self.first_poll_done.is_set()):
                        break
        except Exception:
            log.exception("the outbox and digest thread stopped; mail goes out with each poll meanwhile")

    def flush(self, pipeline: Pipeline) -> None:
        try:
            pipeline.flush_outbox()
        except Exception as exc:
            known = explain(exc, self.config, "serve")
            if known:
                log.error("%s", known[1])
            else:
                log.exception("outbox flush failed; the worker carries on")

    def daily(self, pipeline: Pipeline) -> None:
        moment = self.clock()
        if not self.backoff.ready(moment):
            return
        try:
            daily_job(pipeline, moment)
        except Exception as exc:
            log.exception("digest/reminders failed (%s); next try in %s", exc, self.backoff.failed(moment))
            return
        self.backoff.succeeded()


def serve(pipeline: Pipeline, *, max_cycles: int | None = None, now: Callable[[], datetime] | None = None,
          tick: float = 1.0, stop: threading.Event | None = None) -> int:
    """Run until SIGINT/SIGTERM (or ``stop`` is set, or ``max_cycles`` loop turns); 0 = stopped cleanly,
    1 = another worker holds the data_dir."""
    worker = Worker(pipeline, now or utcnow, stop or threading.Event(), tick)
    try:
        try:
            lock = worker_lock(worker.config.data_dir).__enter__()
        except Busy as exc:
            raise AlreadyRunning(f"another worker is already running on {worker.config.data_dir} ({exc}); "
                                 "stop it first") from None
        with lock:
            worker.start()
            worker.loop(max_cycles)
    except AlreadyRunning as exc:
        log.error("%s", exc)
        print(exc)
        return 1
    finally:
        worker.shut_down()
    log.info("worker stopped")
    return 0


class Worker:
    """One `serve`: set up (signals, schedule, side jobs), the loop of polls, and the stop."""

    def __init__(self, pipeline, clock: Callable[[], datetime], stop: threading.Event, tick: float):
        self.pipeline, self.config, self.clock, self.stop, self.tick = pipeline, pipeline.config, clock, stop, tick
        self.poll_backoff = Backoff(timedelta(minutes=self.config.schedule.poll_every_minutes))
        self.scheduler = schedule.Scheduler()
        self.watcher: IdleWatcher | None = None
        self.side: SideJobs | None = None
        self.previous_handlers: dict = {}
        pipeline.lock_wait = 0  # a poll or reingest run by hand is at work: leave this cycle to it
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous_handlers[sig] = signal.signal(sig, self.request_stop)

    def request_stop(self, signum, frame) -> None:
        log.info("signal %s: finishing the current message, then stopping", signum)
        self.stop.set()
        self.pipeline.stop_requested = True

    def start(self) -> None:
        """Schedule the polls, start the side jobs and the IDLE watcher, and poll once at once."""
        config = self.config
        self.scheduler.every(max(1, round(config.schedule.poll_every_minutes * 60))).seconds.do(self.poll)
        log.info("worker started (pid %d): poll every %s min, digest at %s %s%s", os.getpid(),
                 config.schedule.poll_every_minutes, config.schedule.digest_at, config.campaign.timezone,
                 ", reminders %s days before the deadline" % config.reminders.days_before
                 if config.reminders.days_before else "")
        if config.mailbox.idle and config.mailbox.host:
            self.watcher = IdleWatcher(config.mailbox, self.clock)
        self.side = SideJobs(config, self.pipeline.registry, self.clock, self.stop, self.tick)
        self.side.start()
        self.poll()
        self.side.first_poll_done.set()

    def loop(self, max_cycles: int | None) -> None:
        cycles = 0
        while not self.stop.is_set():
            cycles += 1
            if max_cycles is not None and cycles > max_cycles:
                break
            self.scheduler.run_pending()
            if self.stop.is_set():
                break
            if self.watcher is not None and self.watcher.supported:
                if self.watcher.wait(self.tick):
                    self.poll()
            else:
                self.stop.wait(self.tick)

    def shut_down(self) -> None:
        if self.side is not None:
            self.side.finish()
        if self.watcher is not None:
            self.watcher.close()
        for sig, handler in self.previous_handlers.items():
            signal.signal(sig, handler)

    def poll(self) -> None:
        moment = self.clock()
        if self.stop.is_set() or not self.poll_backoff.ready(moment):
            return
        try:
            self.pipeline.poll()
        except MailSourceError as exc:
            log.warning("poll: mailbox unavailable (%s); next try in %s", exc, self.poll_backoff.failed(moment))
            return
        except Busy as exc:  # a `poll` or `reingest` run by hand is at work: it does this cycle's job
            log.info("poll skipped: another process is ingesting (%s)", exc)
            return
        except Exception as exc:
            self._poll_failed(exc, moment)
            return
        self.poll_backoff.succeeded()
        forget(self.config.data_dir)

    def _poll_failed(self, exc: Exception, moment: datetime) -> None:
        known = explain(exc, self.config, "serve")
        if known is None:
            log.exception("poll failed (%s); next try in %s", exc, self.poll_backoff.failed(moment))
            return
        log.error("%s; next try in %s", known[1], self.poll_backoff.failed(moment))
        remember(self.config.data_dir, known[1])
