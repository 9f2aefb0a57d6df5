"""Shared fixtures: real loopback mail servers (see tests/servers.py) and a headless browser (tests/browser.py)."""
import os

import pytest
from servers import DOVECOT_BIN, Dovecot, ImapAccount, SmtpSink, new_account


def missing_tool(message: str, *, module: bool = False) -> None:
    """Skip a test whose system tool is absent, on a developer's machine; fail it in CI (CI=true).

    `bash setup.sh --test` installs every tool the suite uses, so in CI an absent tool is a broken set-up,
    and dozens of server tests going quietly green would hide it. ``module=True`` where it is called while
    a test module is imported.
    """
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{message} (CI: setup.sh --test should have installed it)", pytrace=False)
    pytest.skip(message, allow_module_level=module)


def parser_budget_mb(parsers_mb: int = 1024) -> int:
    """``extraction.memory_budget_mb`` for a test's config. The budget counts the worker process with its
    parser processes, and in a test the worker is pytest itself, which late in a run holds the whole suite's
    imports and the OCR models that in-process tests loaded (~500 MB, not given back): give the parsers
    ``parsers_mb`` beside what this process holds now, as a worker that starts fresh would have."""
    from parsers import memwatch

    procs = memwatch.tree(os.getpid()) or {}
    return parsers_mb + procs.get(os.getpid(), (0, 0))[1] // 2**20


@pytest.fixture(scope="session")
def dovecot() -> Dovecot:
    """One throwaway Dovecot for the whole session (~0.06 s to start, ~1.1 s to stop)."""
    if not os.path.exists(DOVECOT_BIN):
        missing_tool(f"{DOVECOT_BIN} is missing: apt-get install dovecot-imapd")
    server = Dovecot().start()
    yield server
    server.cleanup()


@pytest.fixture
def imap_account(dovecot) -> ImapAccount:
    """A fresh user with a random name and password on the session's Dovecot."""
    return new_account(dovecot.start())  # start() is a no-op unless a test stopped the server


@pytest.fixture
def smtp_sink() -> SmtpSink:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def browser():
    """Debian's headless Chromium under selenium (tests/browser.py), closed after the test."""
    from browser import chromium

    yield from chromium()
