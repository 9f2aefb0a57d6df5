"""The review loop: what needs a person, and the admin's decisions about it.

``review list`` shows the mail the pipeline could not settle, each with its reason and the
command that settles it; ``assign`` attributes a message (and its sender's later mail) to a unit,
``reprocess`` reads a message again, ``dismiss`` records that it needs nothing (it then shows as
``ignored`` with the admin's reason), ``restore`` revokes a dismissal. Decisions are stored in
the ledger (``pipeline/store.py``) beside what ingestion concluded, never instead of it, so a
reingest keeps them.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

PROGRAM = "python run.py"


class ReviewError(Exception):
    """A review command that cannot be carried out; worded for the admin."""


@dataclass
class ReviewItem:
    message_id: str  # as in the export: the Message-ID, or the ledger key where the mail has none
    received_at: str
    sender: str
    subject: str
    reason: str
    unit_id: str | None
    candidates: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    advice: str = ""


_CMD_SPECIAL = re.compile(r'[\s<>&|^()%!"]')


def quote(value: str, windows: bool | None = None) -> str:
    """``value`` as one argument for the platform's shell: POSIX sh, or cmd.exe on Windows (where
    single quotes mean nothing and an unquoted ``<`` is a redirection)."""
    if windows if windows is not None else os.name == "nt":
        return f'"{value.replace(chr(34), chr(92) + chr(34))}"' if not value or _CMD_SPECIAL.search(value) else value
    return shlex.quote(value)


def console_url(config) -> str | None:
    """Where admins open the console: ``console.url``, else its address when ``serve`` starts it."""
    console = config.console
    if console.url:
        return console.url
    return f"http://{console.host}:{console.port}/" if console.enabled else None


def program(config) -> str:
    """The command line an admin types for this configuration (``--config`` unless it is the default)."""
    if config.path is None or config.path == (Path.cwd() / "config.yaml").resolve():
        return PROGRAM
    return f"{PROGRAM} --config {quote(str(config.path))}"


def find_message(store, ident: str):
    """The ledger row for a Message-ID (with or without <>), a ledger key, or a unique prefix of either."""
    ident = (ident or "").strip()
    if not ident:
        raise ReviewError("give the message's ID (as `review list` shows it)")
    for candidate in (ident, f"<{ident.strip('<>')}>", ident.strip("<>")):
        row = store.message(candidate)
        if row is not None:
            return row
        row = store.db.execute("SELECT * FROM messages WHERE message_id=?", (candidate,)).fetchone()
        if row is not None:
            return row
    bare = ident.strip("<>")
    if len(bare) >= 6:
        rows = store.db.execute("SELECT * FROM messages WHERE key LIKE ? ESCAPE '\\' OR key LIKE ? ESCAPE '\\'",
                                (_like(bare), _like("<" + bare))).fetchall()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise ReviewError(f"{ident!r} matches {len(rows)} messages; give more of the ID")
    raise ReviewError(f"no message {ident!r} in the ledger (see `{PROGRAM} review list`)")


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _advice(reason: str, row, candidates: list[str], registry, prog: str) -> tuple[list[str], str]:
    """The commands that settle an item, and a line saying when to use which."""
    ident = quote(row["message_id"] or row["key"])
    dismiss = f"{prog} review dismiss {ident} --reason {quote('…说明…')}"
    if row["state"] == "parked" or row["kind"] == "unreadable":
        return ([f"{prog} review reprocess {ident}", dismiss],
                "程序处理这封邮件时出错：排除故障（或更新程序）后重新处理；若无需处理则排除")
    if row["state"] != "done":
        return [f"{prog} review reprocess {ident}"], "尚未处理完，通常下一轮会自动处理"
    if row["unit_id"] is not None and _standing(row) != "own":  # held: it would replace the unit's own data
        return ([f"{prog} review assign {ident} {quote(row['unit_id'])}", dismiss],
                "核实发件人确为该单位后归属（将替换该单位原有数据，以后该地址的来信自动归属）；否则排除")
    if row["unit_id"] is None:
        if candidates:
            names = "、".join(f"{registry.by_id[c].name}（{c}）" for c in candidates if c in registry.by_id)
            return ([f"{prog} review assign {ident} {quote(c)}" for c in candidates] + [dismiss],
                    f"确认是哪个单位的报送后归属（可能是：{names}），以后该地址的来信自动归属")
        return ([f"{prog} review assign {ident} 单位编号", dismiss],
                "查明报送单位后归属（单位编号见汇总表），以后该地址的来信自动归属；若不是报送则排除")
    return ([dismiss, f"{prog} review reprocess {ident}"],
            "已自动回复请单位补发；收到补发后此项自动消失。若材料无需再补（如纸质已报），可排除")


def _standing(row) -> str:
    from .campaign import standing

    return standing(row)


def review_items(pipeline, data: dict | None = None) -> list[ReviewItem]:
    """Messages whose status is needs_review (in ``data``, the export, or now)."""
    from .export import dataset

    data = data or dataset(pipeline.config, pipeline.registry, pipeline.store)
    rows = {(r["message_id"] or r["key"]): r for r in pipeline.store.messages()}
    items = []
    for m in data["messages"]:
        if m["status"] != "needs_review":
            continue
        row = rows.get(m["message_id"])
        if row is None:
            continue
        try:
            candidates = [c for c in json.loads(row["candidates"] or "[]") if isinstance(c, str)]
        except ValueError:
            candidates = []
        commands, advice = _advice(m["reason"], row, candidates, pipeline.registry, program(pipeline.config))
        items.append(ReviewItem(m["message_id"], m["received_at"] or "", m["sender"], m["subject"], m["reason"],
                                m["unit_id"], candidates, commands, advice))
    return items


def questions(pipeline, as_of=None) -> list[dict]:
    """Mail a person wrote that is not a submission (a question, a request for more time), not yet dismissed."""
    out = []
    for row in pipeline.store.messages():
        if row["kind"] != "question":
            continue
        received = row["received_at"] or row["arrival_at"] or ""
        if as_of is not None and received[:10] > as_of.isoformat():
            continue
        ident = row["message_id"] or row["key"]
        out.append(dict(message_id=ident, received_at=received, sender=row["sender"] or "",
                        sender_name=row["sender_name"] or "", subject=row["subject"] or "",
                        excerpt=_excerpt(row["excerpt"] or ""),
                        command=f"{program(pipeline.config)} review dismiss {quote(ident)} --reason 已答复"))
    return out


def _excerpt(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# -- decisions ----------------------------------------------------------------------------------

def _reprocess_keys(pipeline, keys: list[str], ack_suffix: str | None):
    from .ingest import CycleReport

    report = CycleReport()
    with pipeline.ingesting("review"):
        if ack_suffix:  # mail already waiting is read first, with its normal acknowledgment
            pipeline.ingestor.process_pending(report)
        pipeline.store.requeue(keys)
        pipeline.ingestor.process_pending(report, ack_suffix=ack_suffix)
    report.flush = pipeline.flush_outbox()
    return report


def reprocess(pipeline, ident: str) -> str:
    row = find_message(pipeline.store, ident)
    report = _reprocess_keys(pipeline, [row["key"]], None)
    return f"reprocessed {row['message_id'] or row['key']}: " + describe(pipeline, row["key"]) + f" ({report.line()})"


def _sender_to_remember(pipeline, row) -> str | None:
    """The address to attribute to the unit: the sender, or for mail the office forwarded, the original sender."""
    office = pipeline.config.own_addresses | set(pipeline.config.admins)
    sender = (row["sender"] or "").lower()
    forwarded = row["kind"] == "submission" and (row["standing"] == "forward" or "转发" in (row["reason"] or ""))
    if sender and sender not in office and not forwarded:
        return sender
    try:
        raw = pipeline.mail_archive.get(row["sha256"])
    except OSError:
        return None
    from parsers.mime import parse_message
    from parsers.sandbox import SandboxFailure

    [envelope] = pipeline.sandbox.run_many([(parse_message, (raw,))])
    if isinstance(envelope, SandboxFailure):
        return None
    return next((f.from_addr.lower() for f in envelope.forwarded if f.from_addr and f.from_addr.lower() not in office
                 and f.from_addr.lower() != sender), None)


def assign(pipeline, ident: str, unit_id: str) -> str:
    unit = pipeline.registry.get(unit_id)
    if unit is None:
        raise ReviewError(f"no unit {unit_id!r} in the registry {pipeline.config.campaign.units}")
    row = find_message(pipeline.store, ident)
    address = _sender_to_remember(pipeline, row)
    if address is None:
        raise ReviewError("this mail is a forward that names no original sender; "
                          "ask the unit to send it again from its own address, or dismiss it")
    owner = pipeline.registry.by_email.get(address)
    if owner is not None and owner.unit_id != unit.unit_id:
        raise ReviewError(f"{address} is registered for {owner.name} ({owner.unit_id}) in the registry; "
                          "change the registry instead")
    pipeline.store.remember_sender(address, unit.unit_id, row["key"])
    pipeline.store.undismiss(row["key"])
    # the message itself, and the sender's other mail that found no unit, read again with the new knowledge
    keys = [row["key"]] + [r["key"] for r in pipeline.store.messages()
                           if r["key"] != row["key"] and (r["sender"] or "").lower() == address
                           and r["unit_id"] is None and r["kind"] == "submission"]
    already = row["unit_id"] == unit.unit_id
    report = _reprocess_keys(pipeline, keys, None if already else f"assigned-{unit.unit_id}")
    after = pipeline.store.message(row["key"])
    note = ""
    if after["unit_id"] != unit.unit_id:
        other = pipeline.registry.get(after["unit_id"])
        note = (f"; NOTE: its content names {other.name if other else after['unit_id']}, which ingestion preferred"
                if after["unit_id"] else "; NOTE: still without a unit")
    log.info("review: %s assigned to %s (address %s remembered)", row["key"], unit.unit_id, address)
    return (f"{row['message_id'] or row['key']} assigned to {unit.name} ({unit.unit_id}); mail from {address} "
            f"is attributed to it from now on; {len(keys)} message(s) reprocessed: "
            + describe(pipeline, row["key"]) + note + f" ({report.line()})")


def dismiss(pipeline, ident: str, reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReviewError("give a reason: --reason '…' (it shows in the export and the workbook)")
    row = find_message(pipeline.store, ident)
    pipeline.store.dismiss(row["key"], reason[:500])
    log.info("review: %s dismissed: %s", row["key"], reason)
    return f"{row['message_id'] or row['key']} dismissed: it now shows as ignored (管理员已排除：{reason})"


def restore(pipeline, ident: str) -> str:
    row = find_message(pipeline.store, ident)
    if not pipeline.store.undismiss(row["key"]):
        raise ReviewError(f"{row['message_id'] or row['key']} was not dismissed")
    return f"{row['message_id'] or row['key']} restored: " + describe(pipeline, row["key"])


def describe(pipeline, key: str) -> str:
    from .export import dataset

    row = pipeline.store.message(key)
    ident = row["message_id"] or row["key"]
    data = dataset(pipeline.config, pipeline.registry, pipeline.store)
    m = next((m for m in data["messages"] if m["message_id"] == ident), None)
    if m is None:
        return "not in the dataset"
    unit = pipeline.registry.get(m["unit_id"])
    return f"now {m['status']} ({m['reason']})" + (f", unit {unit.name} ({unit.unit_id})" if unit else "")


def format_list(items: list[ReviewItem], questions_: list[dict], url: str | None = None) -> str:
    lines = [f"也可在网页上处理（无需命令）：{url}review", ""] if url and (items or questions_) else []
    if not items:
        lines.append("nothing needs review")
    for n, item in enumerate(items, 1):
        lines.append(f"{n}. {item.received_at[:16].replace('T', ' ')}  {item.sender}  《{item.subject}》")
        lines.append(f"   ID: {item.message_id}")
        lines.append(f"   原因：{item.reason}")
        lines.append(f"   处理：{item.advice}")
        lines += [f"     {c}" for c in item.commands]
    if questions_:
        lines.append("")
        lines.append(f"mail to answer ({len(questions_)}):")
        for q in questions_:
            lines.append(f"- {q['received_at'][:16].replace('T', ' ')}  {q['sender']}  《{q['subject']}》：{q['excerpt']}")
            lines.append(f"     answered? {q['command']}")
    return "\n".join(lines)
