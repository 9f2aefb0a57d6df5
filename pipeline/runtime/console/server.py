"""Running the console: waitress (pure Python, also on Windows), alone or in a thread beside `serve`.

The console listens on 127.0.0.1 unless told otherwise; any other address is refused unless a
password is set in the environment (``SUMMARY_CONSOLE_PASSWORD``), because the pages carry the
units' data and the actions send mail.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import threading
from contextlib import contextmanager

from pipeline import PipelineError
from pipeline.config import Config

log = logging.getLogger(__name__)

PASSWORD_ENV = "SUMMARY_CONSOLE_PASSWORD"
MIN_PASSWORD = 8


class ConsoleError(PipelineError):
    """The console cannot start; worded for the operator."""


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def console_password() -> str | None:
    return os.environ.get(PASSWORD_ENV) or None


def check_bind(host: str, password: str | None) -> None:
    """Refuse to serve the units' data beyond this machine without a password."""
    if is_loopback(host):
        return
    if not password:
        raise ConsoleError(f"listening on {host} (not this machine only) needs a password: set {PASSWORD_ENV} "
                           "in the environment, or use --host 127.0.0.1")
    if len(password) < MIN_PASSWORD:
        raise ConsoleError(f"{PASSWORD_ENV} is too short for a console reachable from other machines "
                           f"(at least {MIN_PASSWORD} characters)")


def make_server(config: Config, host: str | None = None, port: int | None = None):
    """A waitress server for the console (not yet running); port 0 picks a free one."""
    from waitress.server import create_server

    from pipeline.runtime.console.web import create_app

    host = host or config.console.host
    port = config.console.port if port is None else port
    password = console_password()
    check_bind(host, password)
    app = create_app(config, password=password)
    try:
        server = create_server(app, host=host, port=port, threads=4, ident="summary-mailbox")
    except OSError as exc:
        raise ConsoleError(f"cannot listen on {host}:{port}: {exc}") from None
    server.url = f"http://{host if ':' not in host else f'[{host}]'}:{server.effective_port}/"
    return server


def run_console(config: Config, host: str | None = None, port: int | None = None) -> int:
    server = make_server(config, host, port)
    print(f"console: {server.url}  (Ctrl+C stops it)", flush=True)
    log.info("console listening on %s", server.url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


@contextmanager
def console_beside(config: Config):
    """With ``console.enabled``, the console runs in a thread while the block runs (``serve``).
    A console that cannot start is logged; the worker goes on without it."""
    if not config.console.enabled:
        yield None
        return
    try:
        server = make_server(config)
    except ConsoleError as exc:
        log.error("console not started: %s", exc)
        yield None
        return
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    log.info("console listening on %s", server.url)
    try:
        yield server
    finally:
        server.close()
