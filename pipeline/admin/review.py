"""A person's decisions about the mail the pipeline could not settle.

``assign`` attributes a message (and its sender's later mail) to a unit, ``reprocess`` reads a message
again, ``dismiss`` records that it needs nothing (it then shows as ``ignored`` with the admin's reason),
``restore`` revokes a dismissal, ``confirm_proposals`` makes the rows read from prose or scans the unit's
activities (with corrections), ``reject_proposals`` counts none of them. Decisions are stored in the ledger (``pipeline/ledger/store.py``) beside
what ingestion concluded, never instead of it, so a reingest keeps them. What waits for a decision, and the
command that settles it, is ``pipeline/reporting/review_queue.py``.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from pipeline.intake.ingest import CycleReport
from pipeline.ledger.proposals import ACTIVITY_COLUMNS
from pipeline.ledger.rows import MessageRow
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


# -- proposals: rows read from prose or scans -----------------------------------------------------

EDITABLE = ("title", "date", "start_date", "end_date", "location", "organizer", "format", "participants")
_EDIT = re.compile(r"^\s*(\d+)\s*\.\s*([a-z_]+)\s*=(.*)$", re.S)
_FORMATS = {"online": "online", "offline": "offline", "hybrid": "hybrid", "线上": "online", "线下": "offline",
            "线上线下": "hybrid", "混合": "hybrid"}


def _proposal_rows(pipeline: Pipeline, row: MessageRow) -> list[dict]:
    """What a confirmation starts from: the rows ingestion proposed, else those confirmed before (re-edited)."""
    store = pipeline.store
    found = store.proposals([row.key]) or store.confirmed(row.key)
    columns = ACTIVITY_COLUMNS + ("confidence", "evidence")
    return [{c: r[c] for c in columns} for r in found]


def parse_edits(edits: list[str], rows: int, year: int) -> dict[tuple[int, str], dict]:
    """``["3.participants=250", "1.date=9月16日"]`` -> {(row, field): column values}; a ReviewError names what
    cannot be read."""
    out: dict[tuple[int, str], dict] = {}
    for edit in edits:
        m = _EDIT.match(edit or "")
        if not m:
            raise ReviewError(f"cannot read the correction {edit!r}: write ROW.FIELD=VALUE, e.g. 3.participants=250")
        number, name, value = int(m.group(1)), m.group(2), m.group(3).strip()
        if not 1 <= number <= rows:
            raise ReviewError(f"{edit!r}: there is no row {number} (rows 1..{rows})")
        if name not in EDITABLE:
            raise ReviewError(f"{edit!r}: {name} cannot be set (fields: {', '.join(EDITABLE)})")
        out[(number, name)] = _edited_value(name, value, year, edit)
    return out


def _edited_value(name: str, value: str, year: int, edit: str) -> dict:
    from parsers.values import parse_count, parse_dates

    if name == "title":
        if not value:
            raise ReviewError(f"{edit!r}: a title cannot be empty")
        return {"title": value[:200]}
    if name in ("location", "organizer"):
        return {name: value[:200] or None}
    if name == "format":
        if value and value.lower() not in _FORMATS:
            raise ReviewError(f"{edit!r}: format is online, offline or hybrid (线上/线下/线上线下)")
        return {"format": _FORMATS.get(value.lower()) if value else None}
    if name == "participants":
        count = parse_count(value)
        if count.flag not in (None, "empty"):
            raise ReviewError(f"{edit!r}: cannot read {value!r} as a number of people")
        return {"participants": count.total, "participants_offline": count.offline,
                "participants_online": count.online}
    span = parse_dates(value, year)
    if span.start is None or span.end is None:
        raise ReviewError(f"{edit!r}: cannot read {value!r} as a date (e.g. 2025-09-15 or 9月15日至16日)")
    if name == "date":
        return {"start_date": span.start.isoformat(), "end_date": span.end.isoformat()}
    return {name: span.start.isoformat()}


def confirm_proposals(pipeline: Pipeline, ident: str, edits: list[str] | None = None, drop: list[int] | None = None) -> str:
    """The message's proposed rows, corrected where asked, become the unit's activities."""
    row = find_message(pipeline.store, ident)
    name = row.ident
    if row.unit_id is None:
        raise ReviewError(f"{name} has no unit yet: run `review assign {name} UNIT_ID` first, then confirm")
    rows = _proposal_rows(pipeline, row)
    if not rows:
        raise ReviewError(f"nothing to confirm: no rows were read from the prose or scans of {name}")
    changes = parse_edits(list(edits or []), len(rows), pipeline.config.campaign.period[0].year)
    dropped = set(drop or [])
    if not dropped <= set(range(1, len(rows) + 1)):
        raise ReviewError(f"--drop: rows are numbered 1..{len(rows)}")
    for (number, field_name), values in changes.items():
        rows[number - 1].update(values)
        flags = [f for f in (rows[number - 1]["flags"] or "").split(",") if f]
        rows[number - 1]["flags"] = ",".join(dict.fromkeys(flags + [f"edited_{field_name}"]))
    kept = [r for i, r in enumerate(rows, 1) if i not in dropped]
    if not kept:
        raise ReviewError("every row is dropped: use `review reject` to count none of them")
    pipeline.store.confirm_proposals(row.key, row.unit_id, kept)
    unit = pipeline.registry.get(row.unit_id)
    log.info("review: %s proposals confirmed (%d rows, %d edits)", row.key, len(kept), len(changes))
    return (f"{name}: {len(kept)} activities confirmed for {unit.name if unit else row.unit_id}"
            + (f" ({len(changes)} cell(s) corrected, {len(dropped)} row(s) left out)" if changes or dropped else "")
            + "; " + describe(pipeline, row.key))


def reject_proposals(pipeline: Pipeline, ident: str, reason: str = "") -> str:
    """None of the message's proposed rows count; the message keeps what ingestion concluded."""
    row = find_message(pipeline.store, ident)
    name = row.ident
    if not _proposal_rows(pipeline, row):
        raise ReviewError(f"nothing to reject: no rows were read from the prose or scans of {name}")
    reason = " ".join((reason or "").split())[:500] or "不计入"
    pipeline.store.reject_proposals(row.key, reason)
    log.info("review: %s proposals rejected: %s", row.key, reason)
    return f"{name}: the rows read from its prose or scans do not count ({reason}); " + describe(pipeline, row.key)
