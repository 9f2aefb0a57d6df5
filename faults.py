"""Named kill points, for the crash tests: ``checkpoint("commit_message")`` does nothing unless the
environment variable ``SUMMARY_MAILBOX_KILL_AT`` names that point, in which case the process dies
there, as abruptly as a power cut would take it (SIGKILL on Unix: no ``finally``, no atexit, no
flush of Python buffers; ``os._exit(137)`` elsewhere).

``SUMMARY_MAILBOX_KILL_AT=name`` kills at the first pass through ``name``; ``name:N`` at the N-th
pass in this process. Several points may be given, separated by commas.

This module is top level and imports only the standard library, so ``pipeline``, ``outbox`` and
``parsers`` may all call it without depending on one another (DESIGN.md rule 1). It costs one
dictionary lookup per call when the variable is unset, which is always the case in production.
"""
from __future__ import annotations

import os
import signal
import sys

ENV = "SUMMARY_MAILBOX_KILL_AT"
# ``SUMMARY_MAILBOX_DISK_FULL_AT=point[:n]``: raise OSError(ENOSPC) there instead, as a full disk would
DISK_FULL_ENV = "SUMMARY_MAILBOX_DISK_FULL_AT"

# Every point the code passes through, in pipeline order; the crash test kills at each of them.
POINTS = (
    "fetch_connected",          # IMAP logged in, folder selected, nothing fetched yet
    "fetch_search_done",        # SEARCH answered, nothing fetched
    "fetch_batch_received",     # a FETCH batch is in memory, nothing archived
    "archive_tmp_written",      # temp file written, not yet fsynced
    "archive_fsynced",          # temp file fsynced, not yet renamed into place
    "archive_renamed",          # file in place, directory not yet fsynced
    "archive_dir_synced",       # the message is durable in the archive, its ledger row not written
    "record_before",            # batch archived, ledger not yet written
    "record_after",             # batch recorded as pending
    "fetch_done",               # all batches recorded, mailbox not yet closed
    "claim_after",              # an attempt counted, nothing read
    "parse_before",             # a batch is about to be handed to the sandbox
    "parse_after",              # the sandbox returned, nothing decided
    "decide_after",             # a message's result is known, its acknowledgment not yet rendered
    "render_after",             # acknowledgment rendered, nothing committed
    "commit_before",            # inside the commit transaction, before COMMIT
    "commit_after",             # message committed with its acknowledgment queued
    "process_done",             # every pending message processed, outbox not flushed
    "flush_start",              # the outbox runner started, nothing marked
    "send_marked",              # a mail marked 'sending', no connection yet
    "smtp_connected",           # SMTP connection and login done
    "smtp_rcpt_done",           # MAIL FROM and RCPT TO accepted
    "smtp_data_started",        # DATA answered 354, nothing of the message sent
    "smtp_data_partial",        # half of the message sent
    "smtp_data_sent",           # whole message sent, final dot not sent, nothing recorded
    "smtp_dot_sent",            # 'unconfirmed' recorded, final dot sent, the server's answer not read
    "smtp_after_accept",        # the server answered 250 to the final dot; not yet marked sent
    "send_marked_sent",         # the mail is marked sent
    "flush_done",               # outbox flushed
    "poll_done",                # the cycle's state written
    "digest_built",             # digest rendered with its workbook, not queued
    "digest_queued",            # digest queued, not sent
    "failure_recorded",         # a message's failure (retry or park) recorded
)
# Between recording 'unconfirmed' and sending the three bytes of the final dot: a death there loses
# that one mail (it is then listed as unconfirmed, never sent twice). Not in POINTS: it is the
# documented residual window, tested on its own.
RESIDUAL = ("smtp_unconfirmed_marked",)


def _targets(env: str = ENV) -> dict[str, int]:
    spec = os.environ.get(env, "")
    targets: dict[str, int] = {}
    for item in spec.split(","):
        name, _, count = item.strip().partition(":")
        if name:
            targets[name] = int(count) if count.isdigit() and int(count) > 0 else 1
    return targets


_TARGETS = _targets()
_DISK_FULL = _targets(DISK_FULL_ENV)
_HITS: dict[str, int] = {}


def checkpoint(name: str) -> None:
    """Die here (or fail as a full disk would) if the environment asks for it (fault tests only)."""
    if not _TARGETS and not _DISK_FULL:
        return
    kill, full = _TARGETS.get(name), _DISK_FULL.get(name)
    if kill is None and full is None:
        return
    _HITS[name] = _HITS.get(name, 0) + 1
    if _HITS[name] == kill:
        kill_now(name)
    if full is not None and _HITS[name] >= full:
        import errno

        raise OSError(errno.ENOSPC, f"No space left on device (simulated at {name})")


def kill_now(name: str = "") -> None:
    try:
        sys.stderr.write(f"faults: killed at {name}\n")
        sys.stderr.flush()
    except Exception:
        pass
    if os.name == "posix":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(137)
