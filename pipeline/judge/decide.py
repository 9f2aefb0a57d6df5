"""What a message is and whose: classify → identify → decide, on what the parsers read.

``decide`` is pure: what the parsers read, plus the registry and the remembered senders, in; a
``MessageResult`` out. ``Reader`` runs the parsers in the sandbox; the message path around both
(claim, read, decide, acknowledge, commit) is ``pipeline/intake/ingest.py``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from typing import Any

from parsers.mailtext import decode_header_value, split_name_addr
from parsers.parsed import LIMIT_FLAG, Activity, FileResult, RawActivity
from parsers.read_mail import MailContent
from parsers.same_activity import dedupe_activities, title_key
from parsers.values import normalize_activity
from pipeline.campaign.registry import Registry
from pipeline.config import Config
from pipeline.judge.classify import classify, own_text
from pipeline.judge.identify import NameIndex, identify
from pipeline.judge.trust import trust_notes
from pipeline.ledger.records import FileRecord, MessageResult, Proposal

log = logging.getLogger(__name__)

OUR_ID_MARK = "summary-mailbox"
SCAN_FIX = "附件为扫描件（图片），无法读取活动明细，请补发Word/Excel电子版"
NO_TABLE_FIX = "未找到活动明细表：请按“活动名称、活动时间、活动地点、活动形式、参与人数”列出活动（Excel表格或Word表格均可）"
EXPORT_KINDS = {"docx": "docx", "xlsx": "xlsx", "xlsm": "xlsx", "ods": "xlsx", "et": "xls", "xls": "xls",
                "doc": "doc", "wps": "doc", "pdf": "pdf", "zip": "zip"}


def export_kind(kind: str) -> str:
    return EXPORT_KINDS.get(kind, "other")


@dataclass
class Context:
    """What ``decide`` needs besides the mail: built once per run."""

    config: Config
    registry: Registry
    index: NameIndex
    remembered: dict[str, str] = field(default_factory=dict)  # personal address -> unit_id, confirmed by an admin

    @classmethod
    def build(cls, config: Config, registry: Registry, remembered: dict[str, str] | None = None) -> "Context":
        return cls(config, registry, NameIndex.build(registry), remembered or {})

    @property
    def office_addresses(self) -> set[str]:
        return self.config.own_addresses | set(self.config.admins)


def _activity_fixes(activities: list[Activity]) -> list[str]:
    fixes = []
    for a in activities:
        if "date_ambiguous" in a.flags or "date_unparsed" in a.flags:
            fixes.append(f"{a.source}：活动“{a.title[:30]}”的时间“{a.raw.get('date', '')}”无法确定，"
                         "请写成“2025年9月15日”或“9月15日-9月20日”的形式")
    if len(fixes) > 5:
        fixes = fixes[:5] + [f"另有 {len(fixes) - 5} 项活动的时间无法确定"]
    return fixes


def _acknowledge_to(env, ctx: Context) -> str:
    """Who hears back: the sender (From, never Reply-To: RFC 3834 §4; a stranger's Reply-To would let
    anyone send mail from the office's account), or for mail the office forwarded, the unit that wrote it."""
    if env.from_addr in ctx.office_addresses:
        return next((f.from_addr for f in env.forwarded
                     if f.from_addr and f.from_addr not in ctx.office_addresses), "")
    return env.from_addr


# words of this campaign in a subject, a file name or a title: mail about the summaries, even from a stranger
CAMPAIGN_WORDS = re.compile(r"科普月|总结|活动明细|活动统计|统计表|明细表|重点科普活动")


def _stranger_unrelated(env, files: list[FileResult], ident, ctx: Context) -> bool:
    """Mail from an address nobody registered, naming no unit anywhere and not about the summaries
    (advertising, training notices with a brochure): not a submission, and not answered."""
    sender = env.from_addr
    if ident.unit_id is not None or ident.candidates or sender in ctx.office_addresses \
            or sender in ctx.registry.by_email or sender in ctx.remembered:
        return False
    places = [env.subject or "", own_text(env.text)[:1500]] + [f.name for f in files] + [f.title or "" for f in files]
    return not any(CAMPAIGN_WORDS.search(p) for p in places)


def standing(env, ident, ctx: Context) -> str | None:
    """Who vouches for the attribution: ``own`` (the unit's registered or confirmed address wrote it,
    or the office forwarded it), ``forward`` (another unit forwarded it), ``unverified`` (an address
    not registered for the unit, attributed by its content)."""
    if ident.unit_id is None:
        return None
    if ident.how in ("address", "forwarded_address") or env.from_addr in ctx.office_addresses:
        return "own"
    return "forward" if ident.how == "forward_content" else "unverified"


def proposals(content: MailContent, year: int) -> tuple[list[Proposal], str]:
    """Rows read where there is no table (prose, scans), once each, and where they were read, in words:
    "正文", "扫描件" or both. A stamped PDF copy of a Word file proposes nothing of its own, and a row dated in
    another year (a tender notice, last year's report quoted) is not this campaign's."""
    found: list[tuple[RawActivity, FileResult | None]] = [(raw, f) for f in content.files if f.copy_of is None
                                                      for raw in f.proposed]
    found += [(raw, None) for raw in getattr(content, "body_proposed", [])]
    kept: dict[tuple, Proposal] = {}
    places: set[str] = set()
    for raw, f in found:
        activity = normalize_activity(raw, year)
        key = (title_key(activity.title), activity.start_date)
        if activity.title and key not in kept and "date_out_of_campaign_year" not in activity.flags:
            kept[key] = Proposal(activity, raw.confidence, raw.evidence)
            places.add("扫描件" if f is not None and (f.is_scan or f.kind == "image") else "正文")
    return list(kept.values()), "和".join(sorted(places, key=["正文", "扫描件"].index))


def limits_reached(content: MailContent) -> list[str]:
    """What a limit left unread in this mail (zip members, MIME parts, table rows...), in Chinese."""
    found = [n for f in content.files for n in f.notes] + list(content.envelope.defects)
    return list(dict.fromkeys(n.removeprefix(LIMIT_FLAG) for n in found if n.startswith(LIMIT_FLAG)))


def decide(content: MailContent, ctx: Context, arrival_at: datetime | None) -> MessageResult:
    env = content.envelope
    config = ctx.config
    tz = config.campaign.tz
    received = env.date or arrival_at or datetime.now(timezone.utc)
    received = received.astimezone(tz)
    late = received.date() > config.campaign.deadline
    verdict = classify(env, config.own_addresses, set(config.admins), OUR_ID_MARK)
    base: dict[str, Any] = dict(message_id=env.message_id, sender=env.from_addr, sender_name=env.from_name,
                subject=env.subject, received_at=received, late=late, reply_to=_acknowledge_to(env, ctx),
                references=" ".join(env.headers.get("references", [])[:1]),
                excerpt=re.sub(r"\s+", " ", env.text or "")[:300])
    files = [FileRecord(f.name, export_kind(f.kind), f.status, f.error,
                        sum(1 for a in f.activities)) for f in content.files]
    if not verdict.is_submission:
        return MessageResult(outcome="ignored", reason=verdict.reason, kind=verdict.kind, unit_id=None,
                             files=files, **base)

    ident = identify(env, content.files, ctx.registry, ctx.index, ctx.office_addresses, ctx.remembered)
    if _stranger_unrelated(env, content.files, ident, ctx):
        return MessageResult(outcome="ignored", kind="unrelated", unit_id=None, files=files,
                             reason="陌生地址来信（未登记的发件人，未提及任何单位，也与科普月总结无关，"
                                    "如广告、培训通知），未回复", **base)
    activities = dedupe_activities(content.activities)
    # a table wins: rows read from prose or scans are proposed only where no table was found
    proposed, read_from = proposals(content, config.campaign.period[0].year) if not activities else ([], "")
    narrative: dict[str, str] = {}
    for f in content.files:
        narrative.update({k: v for k, v in f.narrative.items() if v})
    documents = [f for f in content.files if f.kind not in ("image", "zip")]
    readable = [f for f in documents if f.status == "parsed"]
    carries_narrative = bool(narrative) or any(len(f.text) >= 200 and f.kind in ("docx", "doc", "wps", "pdf", "odt")
                                               and not f.is_scan for f in readable)
    fixes = [f"附件“{f.name}”：{f.error}" for f in documents if f.status == "failed" and f.error]
    notes = [n for f in content.files for n in f.notes][:20]
    limits = limits_reached(content)
    if ident.note:
        notes.append(ident.note)
    trust_notes_, trust_fixes = trust_notes(env, ctx.registry.get(ident.unit_id), ident.how, ctx.office_addresses)
    notes += trust_notes_

    reason = "已读取活动明细"
    outcome = "accepted"
    if ident.unit_id is None:
        outcome = "needs_review"
        names = [ctx.registry.by_id[c].name for c in ident.candidates]
        reason = ("无法确定报送单位，可能是：" + "、".join(names)) if names else "无法确定报送单位（发件地址未登记，材料中未找到单位名称）"
        if ident.how == "forward_unknown":
            reason = ident.note + ("；可能是：" + "、".join(names) if names else "")
            fixes.append("转发的材料无法确定原报送单位，请原单位用本单位登记的邮箱直接发送，"
                         "或在邮件主题和文件名中写明原单位全称")
        else:
            fixes.append("请在邮件主题或文件名中写明单位全称（如“XX区科协全国科普月活动总结”）后重新发送")
        if proposed:
            reason += f"；另从{read_from}中读出{len(proposed)}项活动，待人工确认"
    elif not activities and proposed:
        outcome = "needs_review"
        reason = f"从{read_from}中读出{len(proposed)}项活动，待人工确认"
    elif not activities:
        outcome = "needs_review"
        if not documents and limits:
            reason = "未读到附件"
        elif not documents:
            if env.oversize_links:
                reason = "附件为超大附件下载链接，未直接附带文件"
                fixes.append("附件以“超大附件”链接形式发送，系统无法下载，请将文件压缩后直接添加为附件")
            else:
                reason = "邮件未带附件"
                fixes.append("邮件中没有附件，请添加活动总结（Word）和活动明细表（Excel）后重新发送")
        elif not readable:
            reason = "附件均无法读取"
        elif all(f.is_scan for f in readable):
            reason = "只有扫描件，无法读取活动明细"
            fixes.append(SCAN_FIX)
        elif carries_narrative:
            reason = "只有文字总结，未找到活动明细表"
            fixes.append(NO_TABLE_FIX)
        else:
            reason = "附件中未找到活动明细表"
            fixes.append(NO_TABLE_FIX)
    fixes += _activity_fixes(activities)
    fixes += trust_fixes
    if limits:  # data left unread: the unit and the admins are told which limit, and a person checks
        fixes += [f"未读全：{text}" for text in limits]
        notes += [f"{LIMIT_FLAG}{text}" for text in limits if f"{LIMIT_FLAG}{text}" not in notes]
        if outcome == "accepted":
            outcome, reason = "needs_review", f"已读出活动{len(activities)}项，但部分内容超出处理上限未读取，请核对"
        reason += "（" + "；".join(limits) + "）"
    return MessageResult(outcome=outcome, reason=reason, kind="submission", unit_id=ident.unit_id,
                         candidates=ident.candidates, files=files, activities=activities,
                         narrative=narrative, carries_list=bool(activities), carries_narrative=carries_narrative,
                         fixes=fixes, notes=notes, reply_allowed=verdict.reply_allowed,
                         standing=standing(env, ident, ctx), proposed=proposed, **base)


def unreadable_result(key: str, reason: str, raw: bytes | None, arrival_at: datetime | None,
                      tz) -> MessageResult:
    """What a message that could not be processed at all looks like in the dataset: its sender and
    subject read from the headers alone, so an admin can tell which mail it is."""
    sender = sender_name = subject = ""
    if raw:
        head = BytesHeaderParser().parsebytes(raw[:65536])
        sender_name, sender = split_name_addr(decode_header_value(head.get("From", "")))
        subject = decode_header_value(head.get("Subject", ""), cap=300)
    return MessageResult(outcome="needs_review", reason=f"邮件处理失败，已暂停处理：{reason}", kind="unreadable",
                         message_id=key if key.startswith("<") else None, sender=sender.lower(),
                         sender_name=sender_name, subject=subject,
                         received_at=(arrival_at or datetime.now(timezone.utc)).astimezone(tz), late=False,
                         unit_id=None)
