"""A person's decisions about the mail the pipeline could not settle.

``assign`` attributes a message (and its sender's later mail) to a unit, ``reprocess`` reads a message
again, ``dismiss`` records that it needs nothing (it then shows as ``ignored`` with the admin's reason),
``restore`` revokes a dismissal. Decisions are stored in the ledger (``pipeline/ledger/store.py``) beside
what ingestion concluded, never instead of it, so a reingest keeps them. What waits for a decision, and the
command that settles it, is ``pipeline/reporting/review_queue.py``.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pipeline.intake.ingest import CycleReport
from pipeline.reporting.review_queue import (  # noqa: F401  (re-exported: the command line and console use them)
    ReviewError,
    ReviewItem,
    console_url,
    find_message,
    format_list,
    program,
    questions,
    review_items,
)

if TYPE_CHECKING:
    from pipeline.runtime.app import Pipeline  # the floor above: for the type only

log = logging.getLogger(__name__)


# -- decisions ----------------------------------------------------------------------------------

def _reprocess_keys(pipeline: Pipeline, keys: list[str], ack_suffix: str | None) -> CycleReport:
    report = CycleReport()
    with pipeline.ingesting("review"):
        if ack_suffix:  # mail already waiting is read first, with its normal acknowledgment
            pipeline.ingestor.process_pending(report)
        pipeline.store.requeue(keys)
        pipeline.ingestor.process_pending(report, ack_suffix=ack_suffix)
    report.flush = pipeline.flush_outbox()
    return report


def reprocess(pipeline: Pipeline, ident: str) -> str:
    row = find_message(pipeline.store, ident)
    report = _reprocess_keys(pipeline, [row.key], None)
    return f"reprocessed {row.ident}: " + describe(pipeline, row.key) + f" ({report.line()})"


def _sender_to_remember(pipeline: Pipeline, key: str) -> str | None:
    """The address to attribute to the unit: the sender, or for mail the office forwarded, the original sender
    (as ingestion read the mail, whatever an admin decided about it since)."""
    row = pipeline.store.ingested(key)
    if row is None:
        return None
    office = pipeline.config.own_addresses | set(pipeline.config.admins)
    sender = (row.sender or "").lower()
    forwarded = row.kind == "submission" and (row.standing == "forward" or "转发" in (row.reason or ""))
    if sender and sender not in office and not forwarded:
        return sender
    try:
        raw = pipeline.archive.get(row.sha256)
    except OSError as exc:
        raise ReviewError(f"the archived copy of this mail cannot be read ({exc}); fetch it again with "
                          "`reingest --since … --until …` (from the server), then assign it") from None
    from parsers.mime import parse_message
    from parsers.sandbox import SandboxFailure

    [envelope] = pipeline.sandbox.run_many([(parse_message, (raw,))])
    if isinstance(envelope, SandboxFailure):
        return None
    return next((f.from_addr.lower() for f in envelope.forwarded if f.from_addr and f.from_addr.lower() not in office
                 and f.from_addr.lower() != sender), None)


def assign(pipeline: Pipeline, ident: str, unit_id: str) -> str:
    unit = pipeline.registry.get(unit_id)
    if unit is None:
        raise ReviewError(f"no unit {unit_id!r} in the registry {pipeline.config.campaign.units}")
    row = find_message(pipeline.store, ident)
    address = _sender_to_remember(pipeline, row.key)
    if address is None and not row.sender:
        raise ReviewError("this mail has no sender address (no From header), so there is no address to attribute "
                          "to the unit; ask the unit to send it again from its own address, or dismiss it")
    if address is None:
        raise ReviewError("this mail is a forward that names no original sender; "
                          "ask the unit to send it again from its own address, or dismiss it")
    owner = pipeline.registry.by_email.get(address)
    if owner is not None and owner.unit_id != unit.unit_id:
        raise ReviewError(f"{address} is registered for {owner.name} ({owner.unit_id}) in the registry; "
                          "change the registry instead")
    pipeline.store.remember_sender(address, unit.unit_id, row.key)
    pipeline.store.undismiss(row.key)
    # the message itself, and the sender's other mail that found no unit, read again with the new knowledge
    keys = [row.key] + [r.key for r in pipeline.store.messages()
                        if r.key != row.key and (r.sender or "").lower() == address
                        and r.unit_id is None and r.kind == "submission"]
    already = row.unit_id == unit.unit_id
    report = _reprocess_keys(pipeline, keys, None if already else f"assigned-{unit.unit_id}")
    after = pipeline.store.message(row.key) or row
    note = ""
    if after.unit_id != unit.unit_id:
        other = pipeline.registry.get(after.unit_id)
        note = (f"; NOTE: its content names {other.name if other else after.unit_id}, which ingestion preferred"
                if after.unit_id else "; NOTE: still without a unit")
    log.info("review: %s assigned to %s (address %s remembered)", row.key, unit.unit_id, address)
    return (f"{row.ident} assigned to {unit.name} ({unit.unit_id}); mail from {address} "
            f"is attributed to it from now on; {len(keys)} message(s) reprocessed: "
            + describe(pipeline, row.key) + note + f" ({report.line()})")


def dismiss(pipeline: Pipeline, ident: str, reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReviewError("give a reason: --reason '…' (it shows in the export and the workbook)")
    row = find_message(pipeline.store, ident)
    pipeline.store.dismiss(row.key, reason[:500])
    log.info("review: %s dismissed: %s", row.key, reason)
    return f"{row.ident} dismissed: it now shows as ignored (管理员已排除：{reason})"


def restore(pipeline: Pipeline, ident: str) -> str:
    row = find_message(pipeline.store, ident)
    if not pipeline.store.undismiss(row.key):
        raise ReviewError(f"{row.ident} was not dismissed")
    return f"{row.ident} restored: " + describe(pipeline, row.key)


def describe(pipeline: Pipeline, key: str) -> str:
    row = pipeline.store.message(key)
    if row is None:
        return "no longer in the ledger"
    ident = row.ident
    data = pipeline.dataset()
    m = next((m for m in data["messages"] if m["message_id"] == ident), None)
    if m is None:
        return "not in the dataset"
    unit = pipeline.registry.get(m["unit_id"])
    return f"now {m['status']} ({m['reason']})" + (f", unit {unit.name} ({unit.unit_id})" if unit else "")
