"""The acknowledgment a unit receives for each submission: what we understood, what to fix."""
from __future__ import annotations

import re

from outbox.compose import Draft, compose, to_wire
from outbox.render import render
from pipeline.campaign.registry import Registry
from pipeline.config import Config
from pipeline.ledger.records import MessageResult, Outgoing
from pipeline.reporting.wording import OFFICE, cn_datetime

STATUS_TEXT = {"parsed": "已读取", "skipped": "未读取", "failed": "无法读取"}


def _when(activity) -> str:
    start, end = activity.start_date, activity.end_date
    if start is None:
        return activity.raw.get("date", "")
    if end is None or end == start:
        return f"{start.month}月{start.day}日"
    return f"{start.month}月{start.day}日—{end.month}月{end.day}日"


def _read_from(result: MessageResult) -> str:
    """Where the proposed rows were read, in the unit's words: 正文, 扫描件, or both."""
    places = {"正文" if "正文" in p.activity.source else "扫描件" for p in result.proposed}
    return "和".join(sorted(places, key=["正文", "扫描件"].index))


def echoed(subject: str) -> str:
    """A sender's subject as we repeat it: links taken out, so our account never carries a stranger's URL."""
    return re.sub(r"(?:https?://|www\.)\S+", "[链接]", subject or "", flags=re.I)


def ack_subject(result: MessageResult, unit_name: str | None) -> str:
    verdict = "已收到" if result.outcome == "accepted" and not result.fixes else "已收到，请核对"
    who = f"{unit_name}：" if unit_name else ""
    return f"【{verdict}】{who}{echoed(result.subject) or '您的报送邮件'}"[:200]


def _parts_context(result: MessageResult, config: Config, registry: Registry,
                   reported: dict[str, int]) -> list[dict]:
    """For a mail carrying several units' files: each unit, its files and what it now counts."""
    out = []
    for part in result.parts:
        unit = registry.get(part.unit_id)
        if unit is None:
            continue
        required = config.campaign.quotas.get(unit.category, 0)
        now = reported.get(part.unit_id, 0)
        out.append(dict(name=unit.name, files=[f.rsplit("/", 1)[-1] for f in part.files],
                        activities=len(part.activities), reported=now, required=required, met=now >= required))
    return out


def build_ack(key: str, result: MessageResult, config: Config, registry: Registry, reported: dict[str, int],
              dedupe: str | None = None) -> Outgoing | None:
    """The acknowledgment for a submission, or None where RFC 3834 says not to answer."""
    if result.kind != "submission" or not result.reply_allowed:
        return None
    to = result.reply_to
    if not to or to.lower() in config.own_addresses:
        return None
    forwarded_by_office = result.sender in config.own_addresses or result.sender in config.admins
    unit = registry.get(result.unit_id)
    required = config.campaign.quotas.get(unit.category, 0) if unit else 0
    parts = _parts_context(result, config, registry, reported)
    shown = result.activities[:20]
    deadline = config.campaign.deadline
    context = dict(
        greeting=unit.name if unit else "您好", office=OFFICE, received_at=cn_datetime(result.received_at),
        subject=echoed(result.subject) or "（无主题）", unit_name=unit.name if unit else None,
        candidates=[registry.by_id[c].name for c in result.candidates if c in registry.by_id],
        files=[dict(name=f.name, status_text=STATUS_TEXT.get(f.status, f.status), error=f.error,
                    activities=f.activities) for f in result.files if f.kind != "other" or f.status != "skipped"],
        activities_count=len(result.activities), reported=reported.get(result.unit_id or "", 0), required=required,
        met=reported.get(result.unit_id or "", 0) >= required, parts=parts,
        activities=[dict(title=a.title, when=_when(a), participants=a.participants) for a in shown],
        more_activities=max(0, len(result.activities) - len(shown)), late=result.late,
        deadline=f"{deadline.year}年{deadline.month}月{deadline.day}日", fixes=result.fixes,
        proposed=[dict(title=p.activity.title, when=_when(p.activity), participants=p.activity.participants)
                  for p in result.proposed[:20]],
        proposed_count=len(result.proposed), more_proposed=max(0, len(result.proposed) - 20),
        proposed_from=_read_from(result),
        short_after_proposed=reported.get(result.unit_id or "", 0) + len(result.proposed) < required)
    text, html = render("ack", **context)
    dedupe = dedupe or f"ack:{key}"
    subject = ack_subject(result, unit.name if unit else None)
    message = compose(Draft(dedupe=dedupe, sender=config.sender_address, sender_name=f"{OFFICE}（自动回复）", to=[to],
                      subject=subject, text=text, html=html,
                      in_reply_to=None if forwarded_by_office else result.message_id,
                      references=result.references, auto_submitted="auto-replied"))
    return Outgoing("ack", dedupe, [to], subject, to_wire(message), key)


def build_notice(key: str, result: MessageResult, config: Config, registry: Registry,
                 replaced_nothing: bool, unit_id: str | None = None) -> Outgoing | None:
    """A short note to a unit's registered addresses when an address not registered for it submits in
    its name (once per message and unit: the dedupe key has no reingest suffix)."""
    unit = registry.get(unit_id or result.unit_id)
    part = next((p for p in result.parts if p.unit_id == (unit_id or result.unit_id)), None)
    if (part.standing if part else result.standing) != "unverified" or unit is None or not unit.emails:
        return None
    to = [e for e in unit.emails if e.lower() != (result.sender or "").lower()][:3]
    if not to:
        return None
    text, html = render("notice", greeting=unit.name, office=OFFICE, received_at=cn_datetime(result.received_at),
                        sender=result.sender, subject=echoed(result.subject) or "（无主题）",
                        replaced_nothing=replaced_nothing)
    dedupe = f"notice:{key}" if unit.unit_id == result.unit_id else f"notice:{key}:{unit.unit_id}"
    subject = f"【请留意】有人以{unit.name}名义报送了材料"
    message = compose(Draft(dedupe=dedupe, sender=config.sender_address, sender_name=f"{OFFICE}（自动通知）", to=to,
                      subject=subject, text=text, html=html, auto_submitted="auto-generated"))
    return Outgoing("notice", dedupe, to, subject, to_wire(message), key)
