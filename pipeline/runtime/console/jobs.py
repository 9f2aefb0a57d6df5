"""A reingest started from the page: a thread of the console process, its progress polled by the page.

It runs the command line's code (``actions.perform(..., "reingest", ...)``) under the console's action
lock, so no review decision interleaves with it; whatever ingest lock ``Pipeline.reingest`` takes
against a `poll` or `serve` in another process applies here as well.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date

from pipeline.admin.actions import perform
from pipeline.config import Config
from pipeline.runtime.app import Pipeline

log = logging.getLogger(__name__)


@dataclass
class ReingestJob:
    since: str
    until: str
    from_archive: bool
    actor: str
    state: str = "waiting"  # waiting | running | done | failed
    total: int = 0
    done: int = 0
    result: str = ""
    started: float = 0.0
    finished: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    # the progress "bar" handed to Pipeline.process_pending
    def __call__(self, total: int) -> "ReingestJob":
        self.total += total
        return self

    def update(self, n: int) -> None:
        self.done = min(self.total, self.done + n)

    def close(self) -> None:
        pass


def start_reingest(config: Config, lock: threading.Lock, job: ReingestJob, since: date, until: date) -> threading.Thread:
    def run() -> None:
        with lock:
            job.state, job.started = "running", time.time()
            try:
                with Pipeline(config) as pipeline:
                    job.result = perform(pipeline, job.actor, "reingest", since, until,
                                         from_archive=job.from_archive, send_acks=False, progress=job)
                job.state = "done"
            except Exception as exc:  # shown on the page and kept in the audit table
                log.exception("reingest from the console failed")
                job.state, job.result = "failed", f"{type(exc).__name__}: {exc}"
            job.finished = time.time()

    thread = threading.Thread(target=run, name="console-reingest", daemon=True)
    thread.start()
    return thread
