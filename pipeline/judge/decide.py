"""What a message is and whose: classify → identify → decide, on what the parsers read.

``decide`` is pure: what the parsers read, plus the registry and the remembered senders, in; a
``MessageResult`` out. ``Reader`` runs the parsers in the sandbox; the message path around both
(claim, read, decide, acknowledge, commit) is ``pipeline/intake/ingest.py``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from typing import TypedDict

from parsers.mailtext import decode_header_value, split_name_addr
from parsers.parsed import LIMIT_FLAG, Activity, Envelope, FileResult, RawActivity
from parsers.read_mail import MailContent
from parsers.same_activity import dedupe_activities, title_key
from parsers.values import normalize_activity
from pipeline.campaign.registry import Registry
from pipeline.config import Config
from pipeline.judge.classify import classify, own_text
from pipeline.judge.events import EventVerdict, campaign_key, judge_event, set_aside
from pipeline.judge.identify import NameIndex, identify
from pipeline.judge.parts import split_by_unit
from pipeline.judge.trust import trust_notes
from pipeline.ledger.records import FileRecord, MessageResult, Proposal, UnitPart

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
    if ident.how in ("address", "forwarded_address", "forwarder_own") or env.from_addr in ctx.office_addresses:
        return "own"
    return "forward" if ident.how == "forward_content" else "unverified"


def part_standing(unit_id: str, env, ident, ctx: Context) -> str:
    """Who vouches for one unit's files in a mail carrying several units' files."""
    if unit_id == ident.unit_id:
        return standing(env, ident, ctx) or "unverified"
    if env.from_addr in ctx.office_addresses:
        return "own"
    sender = ctx.registry.by_email.get(env.from_addr)
    sender_unit = sender.unit_id if sender else ctx.remembered.get(env.from_addr)
    if sender_unit == unit_id:
        return "own"
    return "forward" if sender_unit else "unverified"


def proposals(files: list[FileResult], body: list[RawActivity], year: int) -> tuple[list[Proposal], str]:
    """Rows read where there is no table (prose, scans), once each, and where they were read, in words:
    "正文", "扫描件" or both. A stamped PDF copy of a Word file proposes nothing of its own, and a row dated in
    another year (a tender notice, last year's report quoted) is not this campaign's."""
    found: list[tuple[RawActivity, FileResult | None]] = [(raw, f) for f in files if f.copy_of is None
                                                      for raw in f.proposed]
    found += [(raw, None) for raw in body]
    kept: dict[tuple, Proposal] = {}
    places: set[str] = set()
    for raw, f in found:
        activity = normalize_activity(raw, year)
        key = (title_key(activity.title), activity.start_date)
        if activity.title and key not in kept and "date_out_of_campaign_year" not in activity.flags:
            kept[key] = Proposal(activity, raw.confidence, raw.evidence, raw.page)
            places.add("扫描件" if raw.page is not None or (f is not None and (f.is_scan or f.kind == "image"))
                       else "正文")  # a table pasted into Word as a picture is read like a scan
    return list(kept.values()), "和".join(sorted(places, key=["正文", "扫描件"].index))


def limits_reached(content: MailContent) -> list[str]:
    """What a limit left unread in this mail (zip members, MIME parts, table rows...), in Chinese."""
    found = [n for f in content.files for n in f.notes] + list(content.envelope.defects)
    return list(dict.fromkeys(n.removeprefix(LIMIT_FLAG) for n in found if n.startswith(LIMIT_FLAG)))


class _Common(TypedDict):
    """What every MessageResult of a mail says, whatever the outcome."""

    message_id: str | None
    sender: str
    sender_name: str
    subject: str
    received_at: datetime
    late: bool
    reply_to: str
    references: str
    excerpt: str


# --- the steps of decide ------------------------------------------------------------------------

STRANGER_REASON = "陌生地址来信（未登记的发件人，未提及任何单位，也与科普月总结无关，如广告、培训通知），未回复"
MISSING_FILE_FIX = "邮件中没有附件，请添加活动总结（Word）和活动明细表（Excel）后重新发送"


def decide(content: MailContent, ctx: Context, arrival_at: datetime | None) -> MessageResult:
    """Is it a submission, about this campaign, whose, and what it carries."""
    env = content.envelope
    base = _basics(env, ctx, arrival_at)
    files = [FileRecord(f.name, export_kind(f.kind), f.status, f.error, len(f.activities)) for f in content.files]
    verdict = classify(env, ctx.config.own_addresses, set(ctx.config.admins), OUR_ID_MARK)
    if not verdict.is_submission:
        return MessageResult(outcome="ignored", reason=verdict.reason, kind=verdict.kind, unit_id=None,
                             files=files, **base)
    campaign = ctx.config.campaign
    event = judge_event(env, content.files, content.activities, campaign.name, campaign.period)
    if event is not None:
        return _other_event(event, campaign.name, files, base)
    ident = identify(env, content.files, ctx.registry, ctx.index, ctx.office_addresses, ctx.remembered)
    if _stranger_unrelated(env, content.files, ident, ctx):
        return MessageResult(outcome="ignored", kind="unrelated", unit_id=None, files=files,
                             reason=STRANGER_REASON, **base)
    return _submission(content, ctx, verdict.reply_allowed, ident, files, base)


def _basics(env: Envelope, ctx: Context, arrival_at: datetime | None) -> _Common:
    """What every result carries: who, when, late, whom to answer."""
    received = (env.date or arrival_at or datetime.now(timezone.utc)).astimezone(ctx.config.campaign.tz)
    return _Common(message_id=env.message_id, sender=env.from_addr, sender_name=env.from_name,
                subject=env.subject, received_at=received, late=received.date() > ctx.config.campaign.deadline,
                reply_to=_acknowledge_to(env, ctx), references=" ".join(env.headers.get("references", [])[:1]),
                excerpt=re.sub(r"\s+", " ", env.text or "")[:300])


def _other_event(event: EventVerdict, campaign_name: str, files: list[FileRecord], base: _Common) -> MessageResult:
    """Mail about another event: not a submission (never supersedes, never superseded); a person looks
    when it may still be the campaign's."""
    if event.unsure:
        return MessageResult(outcome="ignored", kind="question", unit_id=None, files=files, **base,
                             reason=f"可能不是{campaign_name}总结（关于{event.event}），请人工确认；"
                                    "如属本次报送，请联系单位在主题或文件名中写明后重新发送")
    return MessageResult(outcome="ignored", kind="other_event", unit_id=None, files=files, **base,
                         reason=f"不是{campaign_key(campaign_name)}总结（关于{event.event}），不作为报送材料")


@dataclass
class Reading:
    """What a set of files carries: activities (duplicates merged), narrative, whether it is readable."""

    activities: list[Activity]
    narrative: dict[str, str]
    documents: list[FileResult]
    readable: list[FileResult]
    carries_narrative: bool


def read_files(files: list[FileResult], activities: list[Activity]) -> Reading:
    narrative: dict[str, str] = {}
    for f in files:
        narrative.update({k: v for k, v in f.narrative.items() if v})
    documents = [f for f in files if f.kind not in ("image", "zip", "tnef")]
    readable = [f for f in documents if f.status == "parsed"]
    carries = bool(narrative) or any(len(f.text) >= 200 and f.kind in ("docx", "doc", "wps", "pdf", "odt")
                                     and not f.is_scan for f in readable)
    return Reading(dedupe_activities(activities), narrative, documents, readable, carries)


def activities_by_file(content: MailContent) -> list[list[Activity]] | None:
    """Each file's normalized activities (the reader keeps them in file order), or None if they do not line up."""
    counts = [sum(1 for a in f.activities if a.rank != "general") for f in content.files]
    if sum(counts) != len(content.activities):
        return None
    out, at = [], 0
    for n in counts:
        out.append(content.activities[at:at + n])
        at += n
    return out


def _submission(content: MailContent, ctx: Context, reply_allowed: bool, ident, files: list[FileRecord],
                base: _Common) -> MessageResult:
    env = content.envelope
    aside = set_aside(content.files, ctx.config.campaign.name)
    per_file = activities_by_file(content)
    skip = {i for i, f in enumerate(content.files) if f.name in aside} if per_file is not None else set()
    kept = [f for i, f in enumerate(content.files) if i not in skip]
    reading = read_files(kept, [a for i, acts in enumerate(per_file or [content.activities]) if i not in skip
                                for a in acts])
    split = split_by_unit(content.files, ident, ctx.index, skip) if per_file is not None else None
    parts = _parts(split.groups, content, per_file or [], env, ident, ctx) if split and split.groups else []
    if parts and ident.unit_id is None:  # a tie the files settle: each unit has the files naming it
        ident = replace(ident, unit_id=parts[0].unit_id, how="content")
    unit_id = parts[0].unit_id if parts else ident.unit_id
    activities = [a for p in parts for a in p.activities] if parts else reading.activities
    limits = limits_reached(content)
    # a table wins: rows read from prose or scans are proposed only where no table was found
    proposed, read_from = proposals(kept, content.body_proposed, ctx.config.campaign.period[0].year) \
        if not activities else ([], "")
    outcome, reason, fixes = _verdict(ident, reading, env, ctx, limits, split.unsure if split else [])
    if proposed and (ident.unit_id is None or (split and split.unsure)):  # whose they are comes first
        reason += f"；另从{read_from}中读出{len(proposed)}项活动，待人工确认"
    elif proposed:  # what was read is told; no table is asked for
        reason, fixes = f"从{read_from}中读出{len(proposed)}项活动，待人工确认", []
    fixes += [f"附件“{f.name}”：{f.error}" for f in reading.documents if f.status == "failed" and f.error]
    notes = [n for f in content.files for n in f.notes][:20] + ([ident.note] if ident.note else [])
    notes += [f"附件“{name}”是其他活动的材料（关于{event}），未计入" for name, event in aside.items()]
    trust_notes_, trust_fixes = trust_notes(env, ctx.registry.get(unit_id), ident.how, ctx.office_addresses)
    notes += trust_notes_
    fixes += _activity_fixes(activities) + trust_fixes
    if limits:  # data left unread: the unit and the admins are told which limit, and a person checks
        fixes += [f"未读全：{text}" for text in limits]
        notes += [f"{LIMIT_FLAG}{text}" for text in limits if f"{LIMIT_FLAG}{text}" not in notes]
        if outcome == "accepted":
            outcome, reason = "needs_review", f"已读出活动{len(activities)}项，但部分内容超出处理上限未读取，请核对"
        reason += "（" + "；".join(limits) + "）"
    if parts and outcome == "accepted":
        reason = "已按文件分别计入：" + "；".join(
            f"{ctx.registry.by_id[p.unit_id].name}（活动{len(p.activities)}项）" for p in parts)
    primary = parts[0] if parts else None
    return MessageResult(
        outcome=outcome, reason=reason, kind="submission", unit_id=unit_id,
        candidates=(split.unsure if split and split.unsure else ident.candidates), files=files,
        activities=activities, narrative=reading.narrative,
        carries_list=primary.carries_list if primary else bool(activities),
        carries_narrative=primary.carries_narrative if primary else reading.carries_narrative,
        fixes=fixes, notes=notes, reply_allowed=reply_allowed,
        standing=primary.standing if primary else standing(env, ident, ctx), parts=parts, proposed=proposed, **base)



def _parts(groups: dict[str, list[int]], content: MailContent, per_file: list[list[Activity]], env, ident,
           ctx: Context) -> list[UnitPart]:
    parts = []
    for unit_id, indexes in groups.items():
        files = [content.files[i] for i in indexes]
        reading = read_files(files, [a for i in indexes for a in per_file[i]])
        parts.append(UnitPart(unit_id, part_standing(unit_id, env, ident, ctx), [f.name for f in files],
                              reading.activities, bool(reading.activities), reading.carries_narrative))
    return parts


def _verdict(ident, reading: Reading, env, ctx: Context, limits: list[str],
             unsure: list[str]) -> tuple[str, str, list[str]]:
    """(outcome, reason, fixes) from whose the mail is and what its files carry."""
    if unsure:
        names = "、".join(ctx.registry.by_id[u].name for u in unsure if u in ctx.registry.by_id)
        return "needs_review", f"邮件中有多个单位的材料，无法确定每个文件属于哪个单位（{names}），请人工核对", \
            ["邮件中含有多个单位的材料，请各单位分别发送，或在每个文件名中写明所属单位全称"]
    if ident.unit_id is None:
        reason, fixes = _unit_unknown(ident, ctx)
        if not reading.documents and not env.oversize_links:
            fixes.append(MISSING_FILE_FIX)
        return "needs_review", reason, fixes
    if not reading.activities:
        reason, fixes = _no_activities(reading, env, limits)
        return "needs_review", reason, fixes
    return "accepted", "已读取活动明细", []


def _unit_unknown(ident, ctx: Context) -> tuple[str, list[str]]:
    names = [ctx.registry.by_id[c].name for c in ident.candidates]
    if ident.how == "forward_unknown":
        return ident.note + ("；可能是：" + "、".join(names) if names else ""), [
            "转发的材料无法确定原报送单位，请原单位用本单位登记的邮箱直接发送，或在邮件主题和文件名中写明原单位全称"]
    reason = ("无法确定报送单位，可能是：" + "、".join(names)) if names else "无法确定报送单位（发件地址未登记，材料中未找到单位名称）"
    return reason, ["请在邮件主题或文件名中写明单位全称（如“XX区科协全国科普月活动总结”）后重新发送"]


def _no_activities(reading: Reading, env, limits: list[str]) -> tuple[str, list[str]]:
    if not reading.documents and limits:
        return "未读到附件", []
    if not reading.documents:
        if env.oversize_links:
            return "附件为超大附件下载链接，未直接附带文件", ["附件以“超大附件”链接形式发送，系统无法下载，请将文件压缩后直接添加为附件"]
        return "邮件未带附件", [MISSING_FILE_FIX]
    if not reading.readable:
        return "附件均无法读取", []
    if all(f.is_scan for f in reading.readable):
        return "只有扫描件，无法读取活动明细", [SCAN_FIX]
    if reading.carries_narrative:
        return "只有文字总结，未找到活动明细表", [NO_TABLE_FIX]
    return "附件中未找到活动明细表", [NO_TABLE_FIX]


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
