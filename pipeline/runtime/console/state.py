"""What the console keeps between requests: its settings, the login throttle, the action lock, the jobs, and
one ``Pipeline`` per server thread (SQLite connections stay in their thread), rebuilt when the units
registry file changes. Each ``Pipeline`` caches its dataset until the ledger changes."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from flask import current_app

from pipeline.campaign.registry import Registry, load_registry
from pipeline.config import Config
from pipeline.runtime.app import Pipeline
from pipeline.runtime.console.jobs import ReingestJob

EXTENSION = "summary_console"


@dataclass
class LoginFailures:
    count: int = 0
    since: float = 0.0  # when the last wrong password came


@dataclass
class ConsoleState:
    config: Config
    password: str | None = None
    clock: Callable[[], float] = time.time
    failures: LoginFailures = field(default_factory=LoginFailures)
    action_lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: dict[str, ReingestJob] = field(default_factory=dict)
    chart: tuple[tuple, bytes] | None = None  # (ledger stamp, png): drawing takes a second or two
    chart_lock: threading.Lock = field(default_factory=threading.Lock)  # matplotlib's pyplot is not thread-safe
    _registry: tuple[tuple, Registry] | None = None
    _registry_lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: threading.local = field(default_factory=threading.local)

    def registry(self) -> Registry:
        """The units registry, read again only when its file changed (an admin may edit it while the console runs)."""
        path = self.config.campaign.units
        try:
            stat = path.stat()
            stamp: tuple = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = ()
        with self._registry_lock:
            if self._registry is None or self._registry[0] != stamp:
                self._registry = (stamp, load_registry(path))
            return self._registry[1]

    def pipeline(self) -> Pipeline:
        """This thread's pipeline, with the current registry."""
        registry = self.registry()
        current: Pipeline | None = getattr(self._threads, "pipeline", None)
        if current is not None and current.registry is not registry:
            current.close()
            current = None
        if current is None:
            current = self._threads.pipeline = Pipeline(self.config, registry)
        return current


    def release_parsers(self) -> None:
        """Parser processes a request started (a download that opened a mail) end with it."""
        current: Pipeline | None = getattr(self._threads, "pipeline", None)
        if current is not None:
            current.release_sandbox()


def state() -> ConsoleState:
    return current_app.extensions[EXTENSION]
