"""What waits for a person: the messages that need review, the questions people asked, and the command
that settles each. Read-only: the decisions themselves are ``pipeline/admin/review.py``. The digest, the
console and ``review list`` all show this same queue.
"""
from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import PipelineError
from pipeline.campaign.registry import Registry
from pipeline.config import Config
from pipeline.ledger.rows import MessageRow
from pipeline.ledger.store import Store

if TYPE_CHECKING:
    from pipeline.runtime.app import Pipeline  # the floor above: for the type only

PROGRAM = "python run.py"


class ReviewError(PipelineError):
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


def console_url(config: Config) -> str | None:
    """Where admins open the console: ``console.url``, else its address when ``serve`` starts it."""
    console = config.console
    if console.url:
        return console.url
    return f"http://{console.host}:{console.port}/" if console.enabled else None


def program(config: Config) -> str:
    """The command line an admin types for this configuration (``--config`` unless it is the default)."""
    if config.path is None or config.path == (Path.cwd() / "config.yaml").resolve():
        return PROGRAM
    return f"{PROGRAM} --config {quote(str(config.path))}"


def find_message(store: Store, ident: str) -> MessageRow:
    """The message with this Message-ID (with or without <>), ledger key, or a unique prefix of either."""
    ident = (ident or "").strip()
    if not ident:
        raise ReviewError("give the message's ID (as `review list` shows it)")
    for candidate in (ident, f"<{ident.strip('<>')}>", ident.strip("<>")):
        found = store.message(candidate)
        if found is not None:
            return found
        same_id = store.messages_with_message_id(candidate)
        if same_id:
            return same_id[0]
    bare = ident.strip("<>")
    if len(bare) >= 6:
        rows = store.messages_with_key_prefix(bare)
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise ReviewError(f"{ident!r} matches {len(rows)} messages; give more of the ID")
    raise ReviewError(f"no message {ident!r} in the ledger (see `{PROGRAM} review list`)")


def _advice(row: MessageRow, registry: Registry, prog: str, proposed: int = 0) -> tuple[list[str], str]:
    """The commands that settle an item, and a line saying when to use which."""
    ident = quote(row.ident)
    candidates = list(row.candidates)
    dismiss = f"{prog} review dismiss {ident} --reason {quote('…说明…')}"
    if proposed and row.state == "done" and row.unit_id is not None:
        return ([f"{prog} review confirm {ident}", f"{prog} review confirm {ident} --set 1.participants=250",
                 f"{prog} review reject {ident} --reason {quote('…说明…')}"],
                f"核对从正文/扫描件读出的{proposed}项活动（见导出的 proposed_activities 或网页）：无误则确认计入，"
                "个别单元格有误用 --set 行号.字段=值 改正，整体不对则不计入")
    if row.state == "parked" or row.kind == "unreadable":
        return ([f"{prog} review reprocess {ident}", dismiss],
                "程序处理这封邮件时出错：排除故障（或更新程序）后重新处理；若无需处理则排除")
    if row.state != "done":
        return [f"{prog} review reprocess {ident}"], "尚未处理完，通常下一轮会自动处理"
    if row.unit_id is not None and row.standing != "own":  # held: it would replace the unit's own data
        return ([f"{prog} review assign {ident} {quote(row.unit_id)}", dismiss],
                "核实发件人确为该单位后归属（将替换该单位原有数据，以后该地址的来信自动归属）；否则排除")
    if row.unit_id is None:
        if candidates:
            names = "、".join(f"{registry.by_id[c].name}（{c}）" for c in candidates if c in registry.by_id)
            return ([f"{prog} review assign {ident} {quote(c)}" for c in candidates] + [dismiss],
                    f"确认是哪个单位的报送后归属（可能是：{names}），以后该地址的来信自动归属")
        return ([f"{prog} review assign {ident} 单位编号", dismiss],
                "查明报送单位后归属（单位编号见汇总表），以后该地址的来信自动归属；若不是报送则排除")
    return ([dismiss, f"{prog} review reprocess {ident}"],
            "已自动回复请单位补发；收到补发后此项自动消失。若材料无需再补（如纸质已报），可排除")


def review_items(pipeline: Pipeline, data: dict | None = None) -> list[ReviewItem]:
    """Messages whose status is needs_review (in ``data``, the export, or now)."""

    data = data or pipeline.dataset()
    rows = {r.ident: r for r in pipeline.store.messages()}
    decided = pipeline.store.proposal_decisions()
    proposed: dict[str, int] = {}
    for p in pipeline.store.proposals():
        if p["key"] not in decided:
            proposed[p["key"]] = proposed.get(p["key"], 0) + 1
    items = []
    for m in data["messages"]:
        if m["status"] != "needs_review":
            continue
        row = rows.get(m["message_id"])
        if row is None:
            continue
        commands, advice = _advice(row, pipeline.registry, program(pipeline.config), proposed.get(row.key, 0))
        items.append(ReviewItem(m["message_id"], m["received_at"] or "", m["sender"], m["subject"], m["reason"],
                                m["unit_id"], list(row.candidates), commands, advice))
    return items


def questions(pipeline: Pipeline, as_of: date | None = None) -> list[dict]:
    """Mail a person wrote that is not a submission (a question, a request for more time), not yet dismissed."""
    out = []
    for row in pipeline.store.messages():
        if row.kind != "question":
            continue
        received = row.received
        if as_of is not None and received[:10] > as_of.isoformat():
            continue
        ident = row.ident
        out.append(dict(message_id=ident, received_at=received, sender=row.sender or "",
                        sender_name=row.sender_name or "", subject=row.subject or "",
                        excerpt=_excerpt(row.excerpt or ""),
                        command=f"{program(pipeline.config)} review dismiss {quote(ident)} --reason 已答复"))
    return out


def _excerpt(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


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
