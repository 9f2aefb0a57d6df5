"""`serve`: the scheduled worker.

Polls at once and then every ``schedule.poll_every_minutes``, flushes the outbox every minute
and sends the digest once a day after ``schedule.digest_at`` in the campaign's time zone
(whatever the server's own zone; a worker that was down at that hour sends it when it comes
back). One worker per data_dir, guarded by a lock file. SIGINT/SIGTERM finish the current
message and exit 0.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import datetime
from pathlib import Path

import schedule

from .mailbox import MailSourceError

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    pass


class WorkerLock:
    """An exclusive lock on ``data_dir/worker.lock`` (fcntl on Unix, msvcrt on Windows)."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    def __enter__(self) -> "WorkerLock":
        self.handle = open(self.path, "a+")
        try:
            if os.name == "nt":
                import msvcrt

                msvcrt.locking(self.handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise AlreadyRunning(f"another worker is already running on {self.path.parent} "
                                 f"(lock file {self.path}); stop it first") from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def digest_due(now_local: datetime, digest_at, last_sent_day: str | None) -> bool:
    return now_local.time() >= digest_at and last_sent_day != now_local.date().isoformat()


def serve(pipeline, *, max_cycles: int | None = None) -> int:
    config = pipeline.config
    stop = threading.Event()

    def request_stop(signum, frame):
        log.info("signal %s: finishing the current message, then stopping", signum)
        stop.set()
        pipeline.stop_requested = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)

    def guarded(name, job):
        def run():
            if stop.is_set():
                return
            try:
                job()
            except MailSourceError as exc:
                log.warning("%s: mailbox unavailable, will try again at the next interval: %s", name, exc)
            except Exception:
                log.exception("%s failed; the worker carries on", name)
        return run

    def digest_job():
        from .digest import send_digest

        now_local = datetime.now(config.campaign.tz)
        if digest_due(now_local, config.schedule.digest_at, pipeline.store.get_state("last_digest_day")):
            log.info("digest: %s", send_digest(pipeline, now_local.date(), scheduled=True))
            pipeline.store.set_state("last_digest_day", now_local.date().isoformat())

    try:
        with WorkerLock(config.data_dir / "worker.lock"):
            scheduler = schedule.Scheduler()
            poll = guarded("poll", pipeline.poll)
            scheduler.every(config.schedule.poll_every_minutes * 60).seconds.do(poll)
            scheduler.every(60).seconds.do(guarded("outbox", pipeline.flush_outbox))
            scheduler.every(60).seconds.do(guarded("digest", digest_job))
            log.info("worker started: poll every %s min, digest at %s %s", config.schedule.poll_every_minutes,
                     config.schedule.digest_at, config.campaign.timezone)
            poll()
            guarded("digest", digest_job)()
            cycles = 0
            while not stop.is_set():
                scheduler.run_pending()
                cycles += 1
                if max_cycles is not None and cycles >= max_cycles:
                    break
                stop.wait(1)
    except AlreadyRunning as exc:
        log.error("%s", exc)
        print(exc)
        return 1
    log.info("worker stopped")
    return 0
