"""Shared fixtures: real loopback mail servers (see tests/servers.py)."""
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
