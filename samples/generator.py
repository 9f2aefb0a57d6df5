"""A realistic mailbox of summary mails for the 2025 science-popularization month, with ground truth.

``generate(seed)`` plans what every unit does (sends a Word report and an Excel table,
forgets the attachment, resends a corrected table, sends late, never answers...), adds
the mail every real mailbox receives besides (auto-replies, bounces, newsletters,
questions, the office's own copies), decides from CONTRACT.md what a correct pipeline
must conclude about each mail, then writes the raw mails in arrival order.

This package builds its files with python-docx, xlsxwriter and the standard library only;
it shares no code with ``parsers`` or ``pipeline`` so that it can check them.
"""
from __future__ import annotations

import mailbox
import os
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

from . import documents as docs
from .activities import make_activities, prose_item
from .mails import File, Style, bounce, compose, style_for
from .model import CASES, QUOTAS, ExpectedActivity, MailTruth, SampleMail, SampleSet, Unit
from .units import build_units, person_name, personal_address, qq_address, text_names

if TYPE_CHECKING:
    from .convert import Converter

TZ = ZoneInfo("Asia/Shanghai")
DEADLINE = date(2025, 9, 26)
OTHER_CITY_UNITS = ["秦皇岛市北戴河区科协", "承德市双滦区科协", "廊坊市安次区科协", "沧州市运河区科协",
                    "保定市竞秀区科协", "张家口市桥西区科协"]
CLIENTS = ["netease"] * 5 + ["qq"] * 2 + ["outlook"] * 2 + ["foxmail", "thunderbird"]

__all__ = ["generate", "write_maildir", "SampleSet", "SampleMail", "MailTruth", "ExpectedActivity", "Unit",
           "CASES", "TZ", "DEADLINE"]


@dataclass
class _Plan:
    when: datetime  # the Date header
    received: datetime
    case: str
    unit: Unit | None
    base_status: str  # accepted | needs_review | ignored
    render: Callable[[str, int, random.Random], bytes]  # (message_id, index, rng) -> raw
    carries_list: bool = False
    carries_narrative: bool = False
    activities: list[ExpectedActivity] = field(default_factory=list)
    note: str = ""


@dataclass
class _Package:
    """What a unit attaches to one submission."""

    files: list[File]
    carries_list: bool
    carries_narrative: bool
    activities: list[ExpectedActivity]


class _Builder:
    def __init__(self, seed: int, mailbox_addr: str, admin_addrs: list[str], units: list[Unit],
                 quotas: dict[str, int], rng: random.Random):
        self.seed, self.mailbox, self.admins, self.units, self.quotas = seed, mailbox_addr, admin_addrs, units, quotas
        self.rng = rng
        self.plans: list[_Plan] = []
        self.clerks = {u.unit_id: (person_name(rng), _phone(rng)) for u in units}
        self.clients = {u.unit_id: rng.choice(CLIENTS) for u in units}
        self.converter: Converter | None = None  # when the extended cases are on

    # ---- helpers -----------------------------------------------------------------------------

    def display(self, unit: Unit) -> str:
        return self.rng.choice(text_names(unit)[:3] if self.rng.random() < 0.8 else text_names(unit))

    def sender(self, unit: Unit) -> tuple[str, str, bool]:
        """(display name, address, registered)."""
        r = self.rng
        if not unit.emails:
            return person_name(r) if r.random() < 0.7 else r.choice(["小雨", "Sunny", "晴天", "A李老师"]), \
                personal_address(r), False
        name = self.display(unit) if r.random() < 0.6 else self.clerks[unit.unit_id][0]
        return name, r.choice(unit.emails), True

    def to_mailbox(self) -> list[tuple[str, str]]:
        return [(self.rng.choice(["", "", "唐山市素质办", "tskxpjb", "市科协普及部"]), self.mailbox)]

    def office_time(self, first: date, last: date) -> datetime:
        r = self.rng
        day = first + timedelta(days=r.randint(0, (last - first).days))
        minute = r.randint(8 * 60 + 20, 18 * 60 + 30) if r.random() < 0.9 else r.randint(19 * 60, 23 * 60 + 20)
        return datetime(day.year, day.month, day.day, minute // 60, minute % 60, r.randint(0, 59), tzinfo=TZ)

    def arrival(self, when: datetime) -> datetime:
        return (when + timedelta(seconds=self.rng.randint(2, 95))).astimezone(TZ)

    def n_activities(self, unit: Unit) -> int:
        q = self.quotas[unit.category]
        r = self.rng
        if q <= 1 or r.random() < 0.68:
            return r.randint(max(1, q), q + max(1, q // 2))
        return r.randint(max(1, q // 2), q - 1)

    # ---- documents ---------------------------------------------------------------------------

    def narrative(self, unit_name: str, acts: list[ExpectedActivity], mode: str, when: datetime) -> list[tuple]:
        r = self.rng
        title = r.choice([f"{unit_name}2025年全国科普月活动总结", f"关于{unit_name}开展2025年全国科普月活动情况的总结",
                          f"{unit_name}关于2025年全国科普月活动的工作总结"])
        total = sum(a.participants or 0 for a in acts)
        blocks: list[tuple] = [("title", title), ("heading", "一、活动开展情况"), (
            "para", f"全国科普月期间，{unit_name}深入贯彻落实《中华人民共和国科学技术普及法》，围绕“提升全民科学素质 "
                    f"夯实科技强国基础”主题，组织开展重点科普活动{len(acts)}项，累计参与群众{total}人次。")]
        if mode == "prose":
            blocks += [("para", prose_item(r, i, a)) for i, a in enumerate(acts)]
        elif mode == "table":
            blocks += [("para", "主要活动开展情况如下："), ("table", docs.activity_rows_for_word(r, acts))]
        else:
            blocks.append(("para", "各项活动具体情况详见附件《重点科普活动统计表》。"))
        case = acts[0].title if acts else "科普进社区"
        blocks += [
            ("heading", "二、工作成效"),
            ("para", "通过系列活动，公众科学素质明显提升，科普资源进一步下沉基层，形成了崇尚科学、追求创新的良好氛围。"
                     f"各类媒体累计发布宣传信息{r.randint(8, 60)}条。"),
            ("heading", "三、典型案例"),
            ("para", f"{case}：活动采取互动体验与专家讲解相结合的方式，群众参与热情高，反响良好。"),
            ("heading", "四、意见建议"),
            ("para", "建议进一步加大科普经费投入，加强基层科普队伍建设，推动优质科普资源向乡村和社区倾斜。"),
            ("right", unit_name), ("right", f"2025年{when.month}月{when.day}日")]
        return blocks

    def package(self, unit: Unit, acts: list[ExpectedActivity], kind: str, when: datetime,
                name: str | None = None, layout: str | None = None) -> _Package:
        """kind: docx+xlsx | docx+xlsx+dup | xlsx | docx_table | docx_prose | zip | xls_name | pdf."""
        r = self.rng
        name = name or self.display(unit)
        clerk, phone = self.clerks.get(unit.unit_id, (person_name(r), _phone(r)))
        styled = r.random() < 0.4
        files: list[File] = []
        truth = acts
        has_list = kind not in ("docx_prose", "pdf")
        narrative = kind not in ("xlsx", "pdf")

        if narrative:
            mode = {"docx_table": "table", "docx+xlsx+dup": "table", "docx_prose": "prose"}.get(kind, "summary")
            data = docs.build_docx(self.narrative(name, acts, mode, when), styled=styled, author=clerk, when=when, rng=r)
            files.append(File(r.choice([f"{name}2025年全国科普月活动总结.docx", f"附件1：{name}科普月活动总结.docx",
                                        f"关于2025年全国科普月活动开展情况的总结（{name}）.docx",
                                        f"{name}科普月总结.docx"]), data))
        if kind in ("docx+xlsx", "docx+xlsx+dup", "xlsx", "zip", "xls_name"):
            layout = layout or r.choice(docs.LAYOUTS if kind != "docx+xlsx+dup" else ("titled", "merged", "wps"))
            data, has_format = docs.build_xlsx(r, acts, unit_display=name, layout=layout, clerk=clerk, phone=phone,
                                               when=when)
            if not has_format:
                truth = [replace(a, format=None) for a in acts]
            ext = "xls" if kind == "xls_name" else "xlsx"
            files.append(File(r.choice([f"{name}重点科普活动统计表.{ext}", f"附件2：{name}活动统计表.{ext}",
                                        f"{name}全国科普月活动明细.{ext}"]), data))
        if kind == "zip":
            members = [(f.name.replace("附件1：", "").replace("附件2：", ""), f.data) for f in files]
            folder = f"{name}科普月材料" if r.random() < 0.5 else ""
            files = [File(f"{name}全国科普月总结材料.zip", docs.gbk_zip(members, folder))]
        if kind == "pdf":
            files.append(File(r.choice([f"{name}科普月活动总结（盖章版）.pdf", f"{name}总结扫描件.pdf"]),
                              docs.scanned_pdf(r, pages=r.randint(1, 2))))
        return _Package(files, has_list, narrative, truth if has_list else [])

    # ---- mail ----------------------------------------------------------------------------------

    def body(self, name: str, unit: Unit | None, what: str) -> str:
        r = self.rng
        clerk, phone = self.clerks.get(unit.unit_id, ("", "")) if unit else (person_name(r), _phone(r))
        greet = r.choice(["您好！", "老师您好：", "各位领导：", "白老师、刘老师：\n  您好！"])
        line = r.choice([f"附件是{name}2025年全国科普月{what}，请查收。",
                         f"现将{name}全国科普月{what}报送，请审阅。",
                         f"{name}科普月{what}见附件，请查收，谢谢！"])
        return f"{greet}\n  {line}\n\n{name}\n{clerk}\n联系电话：{phone}\n"

    def subject(self, name: str, registered: bool) -> str:
        options = [f"{name}2025年全国科普月活动总结", f"报送：{name}全国科普月活动总结", f"{name}-科普月总结及统计表",
                   f"【{name}】全国科普月工作总结"]
        if registered:
            options += ["全国科普月活动总结", "科普月总结"]
        return self.rng.choice(options)

    def submission(self, unit: Unit, case: str, kind: str, when: datetime, *, acts=None, layout=None,
                   sender=None, note: str = "", name: str | None = None, twice: bool = False) -> _Plan:
        r = self.rng
        acts = acts if acts is not None else make_activities(r, unit, self.n_activities(unit))
        name = name or self.display(unit)
        pkg = self.package(unit, acts, kind, when, name=name, layout=layout)
        from_name, from_addr, registered = sender or self.sender(unit)
        subject = self.subject(name, registered)
        what = "活动总结" if pkg.carries_narrative else "活动统计表"
        text = self.body(name, unit, what)
        style = style_for(r, self.clients[unit.unit_id] if registered else r.choice(["qq", "netease"]))
        to = self.to_mailbox()

        def renderer(at: datetime):
            def render(mid, idx, rr):
                return compose(rr, style, message_id=mid, when=at, from_name=from_name, from_addr=from_addr, to=to,
                               subject=subject, text=text, files=pkg.files, received_from=from_addr.split("@")[1])
            return render

        status = "accepted" if pkg.carries_list else "needs_review"
        plan = self.add(_Plan(when, self.arrival(when), case, unit, status, renderer(when), pkg.carries_list,
                              pkg.carries_narrative, pkg.activities, note))
        if twice:  # the same mail sent again a little later (clicked twice, or "did it arrive?")
            again = when + timedelta(minutes=r.randint(1, 240))
            self.add(replace(plan, when=again, received=self.arrival(again), case="resubmission",
                             render=renderer(again), note="the same mail sent twice: the first is superseded"))
        return plan

    def add(self, plan: _Plan) -> _Plan:
        self.plans.append(plan)
        return plan


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"0315-{rng.randint(2000000, 8999999)}"
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}"


# ---- scenarios: what one unit does ------------------------------------------------------------

def _plain(kind: str, case: str):
    def run(b: _Builder, u: Unit):
        b.submission(u, case, kind, b.office_time(date(2025, 9, 15), date(2025, 9, 26)))
    return run


def _sent_twice(b: _Builder, u: Unit):
    b.submission(u, "docx_xlsx", b.rng.choice(["docx+xlsx", "docx_table"]),
                 b.office_time(date(2025, 9, 15), date(2025, 9, 25)), twice=True)


def _dup_table(b: _Builder, u: Unit):
    b.submission(u, "docx_xlsx", "docx+xlsx+dup", b.office_time(date(2025, 9, 15), date(2025, 9, 26)),
                 note="the Word report repeats the Excel list as a table: count each activity once")


def _personal(b: _Builder, u: Unit):
    r = b.rng
    sender = (person_name(r), qq_address(r), False)
    b.submission(u, "personal_sender", r.choice(["docx+xlsx", "docx_table", "xlsx"]),
                 b.office_time(date(2025, 9, 15), date(2025, 9, 26)), sender=sender,
                 name=r.choice(text_names(u)[:2]), note="sent from a personal QQ address; unit named in the files")


def _late(kind: str):
    def run(b: _Builder, u: Unit):
        r = b.rng
        if kind == "boundary_in":
            when = datetime(2025, 9, 26, 23, 30, 0, tzinfo=TZ)
            note = "Date 2025-09-26 23:30 +08:00: the last evening, not late"
        elif kind == "boundary_utc":
            when = datetime(2025, 9, 26, 17, 0, 0, tzinfo=timezone.utc)
            note = "Date 2025-09-26 17:00 +0000 = 09-27 01:00 in Asia/Shanghai: late"
        else:
            when = b.office_time(date(2025, 9, 27), date(2025, 9, 30)) if r.random() < 0.7 else \
                b.office_time(date(2025, 10, 8), date(2025, 10, 10))
            note = "sent after the deadline"
        b.submission(u, "late", r.choice(["docx+xlsx", "docx_table"]), when, note=note)
    return run


def _resub_excel(b: _Builder, u: Unit):
    """docx+xlsx, then a corrected Excel alone: the first keeps its narrative, stays accepted."""
    r = b.rng
    t1 = b.office_time(date(2025, 9, 10), date(2025, 9, 20))
    acts = make_activities(r, u, b.n_activities(u))
    layout = r.choice(["titled", "merged", "wps"])
    b.submission(u, "docx_xlsx", "docx+xlsx", t1, acts=acts, layout=layout)
    fixed = _corrected(r, u, acts)
    b.submission(u, "resubmission", "xlsx", b.office_time(t1.date() + timedelta(days=1), date(2025, 9, 25)),
                 acts=fixed, layout=layout, note="corrected Excel alone: the earlier mail still carries the narrative")


def _resub_full(b: _Builder, u: Unit):
    """A first mail, then everything again corrected: the first becomes superseded."""
    r = b.rng
    t1 = b.office_time(date(2025, 9, 10), date(2025, 9, 20))
    acts = make_activities(r, u, b.n_activities(u))
    first_kind = r.choice(["docx+xlsx", "xlsx", "docx_table"])
    b.submission(u, {"docx+xlsx": "docx_xlsx", "xlsx": "xlsx_only", "docx_table": "docx_table"}[first_kind],
                 first_kind, t1, acts=acts, layout="titled")
    b.submission(u, "resubmission", "docx+xlsx", b.office_time(t1.date() + timedelta(days=1), date(2025, 9, 25)),
                 acts=_corrected(r, u, acts), layout="titled",
                 note="everything sent again corrected: the earlier mail is superseded")


def _corrected(r: random.Random, u: Unit, acts: list[ExpectedActivity]) -> list[ExpectedActivity]:
    fixed = [replace(a) for a in acts]
    i = r.randrange(len(fixed))
    fixed[i] = replace(fixed[i], participants=(fixed[i].participants or 100) + r.randint(1, 30) * 10)
    extra = make_activities(r, u, 1)[0]
    if extra.title not in {a.title for a in fixed}:
        fixed.append(extra)
    return sorted(fixed, key=lambda a: (a.start_date, a.end_date))


def _no_attachment(resend: bool):
    def run(b: _Builder, u: Unit):
        r = b.rng
        t1 = b.office_time(date(2025, 9, 10), date(2025, 9, 24))
        name = b.display(u)
        from_name, from_addr, registered = b.sender(u)
        subject = f"{name}2025年全国科普月活动总结" if not registered or r.random() < 0.7 else "科普月活动总结"
        clerk, phone = b.clerks[u.unit_id]
        text = r.choice([f"您好！\n  {name}全国科普月活动总结及活动统计表见附件，请查收。",
                         f"老师您好：\n  附件是{name}2025年全国科普月活动总结，请查收。"]) + \
            f"\n\n{name}\n{clerk}\n联系电话：{phone}\n"
        style = style_for(r, b.clients[u.unit_id])
        to = b.to_mailbox()

        def render(mid, idx, rr):
            return compose(rr, style, message_id=mid, when=t1, from_name=from_name, from_addr=from_addr, to=to,
                           subject=subject, text=text, received_from=from_addr.split("@")[1])

        b.add(_Plan(t1, b.arrival(t1), "no_attachment", u, "needs_review", render,
                    note="says 见附件 but carries no attachment"))
        if resend:
            t2 = t1 + timedelta(minutes=r.randint(15, 600))
            b.submission(u, "docx_xlsx", "docx+xlsx", t2, sender=(from_name, from_addr, registered), name=name,
                         note="sent again with the forgotten attachments")
    return run


def _forwarded(by_admin: bool):
    def run(b: _Builder, u: Unit):
        r = b.rng
        t0 = b.office_time(date(2025, 9, 10), date(2025, 9, 22))
        t1 = t0 + timedelta(hours=r.randint(1, 60))
        acts = make_activities(r, u, b.n_activities(u))
        name = b.display(u)
        pkg = b.package(u, acts, r.choice(["docx+xlsx", "docx_table"]), t0, name=name)
        orig_name, orig_addr, _ = b.sender(u)
        orig_subject = b.subject(name, True)
        orig_text = b.body(name, u, "活动总结")
        inner_style = style_for(r, b.clients[u.unit_id])
        if by_admin:
            fwd_name, fwd_addr = r.choice(["刘禹彤", "白鹤华"]), b.admins[0]
            orig_to = [(fwd_name, fwd_addr)]
            note_text = f"{name}的总结发到我邮箱了，转到总结邮箱。"
        else:
            fwd_name, fwd_addr = b.clerks[u.unit_id][0], personal_address(r)
            orig_to = [(fwd_name, fwd_addr)]
            note_text = f"单位邮箱发不出去，转发一下{name}的科普月总结。"
        outer_style = style_for(r, r.choice(["netease", "outlook", "qq"]))
        to = b.to_mailbox()

        def render(mid, idx, rr):
            inner = compose(rr, inner_style, message_id=mid.replace("@", ".orig@"), when=t0, from_name=orig_name,
                            from_addr=orig_addr, to=orig_to, subject=orig_subject, text=orig_text, files=pkg.files)
            prefix = rr.choice(["Fw: ", "转发：", "FW: "])
            return compose(rr, outer_style, message_id=mid, when=t1, from_name=fwd_name, from_addr=fwd_addr, to=to,
                           subject=prefix + orig_subject, text=note_text,
                           files=[File(f"{orig_subject}.eml", inner, "message/rfc822")])

        b.add(_Plan(t1, b.arrival(t1), "forwarded", u, "accepted", render, True, True, pkg.activities,
                    note=("forwarded by the office" if by_admin else "forwarded by a colleague") + " as message/rfc822"))
    return run


def _forwarded_inline(b: _Builder, u: Unit):
    r = b.rng
    t0 = b.office_time(date(2025, 9, 10), date(2025, 9, 22))
    t1 = t0 + timedelta(hours=r.randint(1, 48))
    acts = make_activities(r, u, b.n_activities(u))
    name = b.display(u)
    pkg = b.package(u, acts, r.choice(["docx+xlsx", "xlsx", "docx_table"]), t0, name=name)
    orig_name, orig_addr, _ = b.sender(u)
    by_admin = r.random() < 0.5
    fwd_name, fwd_addr = (("刘禹彤", b.admins[0]) if by_admin else (b.clerks[u.unit_id][0], personal_address(r)))
    orig_subject = b.subject(name, True)
    weekday = "一二三四五六日"[t0.weekday()]
    noon = "上午" if t0.hour < 12 else "下午"
    hour12 = t0.hour if t0.hour <= 12 else t0.hour - 12
    if r.random() < 0.7:
        quoted = (f"------------------ 原始邮件 ------------------\n发件人: \"{orig_name}\"<{orig_addr}>;\n"
                  f"发送时间: 2025年{t0.month}月{t0.day}日(星期{weekday}) {noon}{hour12}:{t0.minute:02d}\n"
                  f"收件人: \"{fwd_name}\"<{fwd_addr}>;\n主题: {orig_subject}\n")
    else:
        quoted = (f"-------- 转发邮件信息 --------\n发件人：\"{orig_name}\" <{orig_addr}>\n"
                  f"发送日期：{t0:%Y-%m-%d %H:%M:%S}\n收件人：\"{fwd_name}\" <{fwd_addr}>\n主题：{orig_subject}\n")
    text = f"转发{name}的材料，请查收。\n\n\n{quoted}\n{b.body(name, u, '活动总结')}"
    style = style_for(r, "netease")
    to = b.to_mailbox()

    def render(mid, idx, rr):
        return compose(rr, style, message_id=mid, when=t1, from_name=fwd_name, from_addr=fwd_addr, to=to,
                       subject=f"转发：{orig_subject}", text=text, files=pkg.files)

    b.add(_Plan(t1, b.arrival(t1), "forwarded_inline", u, "accepted", render, pkg.carries_list,
                pkg.carries_narrative, pkg.activities,
                note="webmail 转发: attachments re-attached, original sender quoted in the body"))


def _scan_followup(b: _Builder, u: Unit, after: datetime):
    """A stamped scan sent after an accepted submission: needs review, replaces nothing."""
    when = b.office_time(after.date(), max(after.date(), date(2025, 9, 28)))
    when = max(when, after + timedelta(minutes=30))
    b.submission(u, "pdf_scan", "pdf", when, note="stamped scan only (no text layer), after the real submission")


SCENARIOS: dict[str, Callable] = {
    "docx_xlsx": _plain("docx+xlsx", "docx_xlsx"),
    "docx_xlsx_dup": _dup_table,
    "xlsx_only": _plain("xlsx", "xlsx_only"),
    "docx_table": _plain("docx_table", "docx_table"),
    "docx_only_prose": _plain("docx_prose", "docx_only_prose"),
    "zip_gbk": _plain("zip", "zip_gbk"),
    "xls_legacy_name": _plain("xls_name", "xls_legacy_name"),
    "pdf_scan": _plain("pdf", "pdf_scan"),
    "personal_sender": _personal,
    "forwarded_admin": _forwarded(True),
    "forwarded_colleague": _forwarded(False),
    "forwarded_inline": _forwarded_inline,
    "no_attachment": _no_attachment(False),
    "no_attachment_resend": _no_attachment(True),
    "resub_excel": _resub_excel,
    "resub_full": _resub_full,
    "sent_twice": _sent_twice,
    "late": _late("after"),
    "late_boundary_in": _late("boundary_in"),
    "late_boundary_utc": _late("boundary_utc"),
}
FILL_WEIGHTS = {"docx_xlsx": 30, "docx_xlsx_dup": 5, "xlsx_only": 8, "docx_table": 13, "docx_only_prose": 4,
                "zip_gbk": 4, "xls_legacy_name": 4, "pdf_scan": 2, "forwarded_admin": 2, "forwarded_colleague": 2,
                "forwarded_inline": 3, "no_attachment": 1, "no_attachment_resend": 5, "resub_excel": 8,
                "resub_full": 8, "sent_twice": 6, "late": 5}
NEEDS_REGISTERED = {"forwarded_admin", "forwarded_colleague", "forwarded_inline"}


# ---- mail that is not a submission ------------------------------------------------------------

def _auto_reply(b: _Builder, u: Unit):
    r = b.rng
    when = b.office_time(date(2025, 9, 12), date(2025, 9, 29))
    addr = r.choice(u.emails)
    variant = r.randrange(3)
    topic = r.choice([f"已收到：{b.display(u)}2025年全国科普月活动总结", "关于报送2025年全国科普月活动总结的提醒"])
    if variant == 0:
        style, subject, extra = style_for(r, "netease"), f"自动回复：{topic}", [("Auto-Submitted", "auto-replied"),
                                                                              ("X-Autoreply", "yes")]
        text = "您好，您的来信已收到，我会尽快处理。"
    elif variant == 1:
        style, subject, extra = style_for(r, "qq"), f"自动回复: {topic}", []
        text = "这是来自QQ邮箱的假期自动回复邮件。\n您好，我最近正在休假中，无法亲自回复您的邮件。"
    else:
        style, subject = style_for(r, "outlook"), f"自动答复: {topic}"
        extra = [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All")]
        text = "本人9月29日至10月8日休假，期间邮件将延迟处理。"

    def render(mid, idx, rr):
        return compose(rr, style, message_id=mid, when=when, from_name=b.display(u), from_addr=addr,
                       to=[("", b.mailbox)], subject=subject, text=text, extra_headers=extra)

    b.add(_Plan(when, b.arrival(when), "auto_reply", None, "ignored", render, note=f"auto-reply variant {variant}"))


def _bounce(b: _Builder, u: Unit):
    r = b.rng
    when = b.office_time(date(2025, 9, 15), date(2025, 9, 29))
    failed = (u.emails[0] if u.emails else "lunan_kx@126.com").replace("@", "x@", 1)
    subject = f"已收到：{b.display(u)}全国科普月活动总结"
    postfix = r.random() < 0.5

    def render(mid, idx, rr):
        return bounce(rr, message_id=mid, when=when, mailbox=b.mailbox, failed_to=failed,
                      original_subject=subject, original_id=f"<ack-{idx:04d}.{b.seed}@sample.invalid>",
                      postfix=postfix)

    b.add(_Plan(when, b.arrival(when), "bounce", None, "ignored", render, note="delivery-status report"))


def _question(b: _Builder, u: Unit):
    r = b.rng
    when = b.office_time(date(2025, 9, 3), date(2025, 9, 24))
    from_name, from_addr, _ = b.sender(u)
    ask = r.choice(["请问总结可以延期到月底吗？", "请问活动统计表有没有统一模板？", "请问总结需要盖章后扫描上报吗？",
                    "请问线上活动的参与人数怎么统计？"])
    name = b.display(u)
    text = f"老师您好：\n  我是{name}的{b.clerks[u.unit_id][0]}，{ask}\n  谢谢！"
    style = style_for(r, b.clients[u.unit_id])
    subject = r.choice(["咨询", "关于科普月总结的问题", f"{name}咨询科普月总结报送事宜"])

    def render(mid, idx, rr):
        return compose(rr, style, message_id=mid, when=when, from_name=from_name, from_addr=from_addr,
                       to=[("", b.mailbox)], subject=subject, text=text)

    b.add(_Plan(when, b.arrival(when), "question", None, "ignored", render, note=f"a question: {ask}"))


def _unrelated(b: _Builder, _u):
    r = b.rng
    when = b.office_time(date(2025, 9, 1), date(2025, 9, 30))
    sender, subject, text = r.choice([
        ("科普资讯周刊 <newsletter@edm.kepu-weekly.example>", "科普资讯周刊 | 第36期：人工智能走进生活",
         "本期导读：\n1. 人工智能走进生活\n2. 秋季健康科普\n如不想再收到此类邮件，请点击退订。"),
        ("企业邮箱服务 <promo@mail.biz-mail.example>", "【限时优惠】企业邮箱扩容套餐 9 月特惠",
         "尊敬的用户：企业邮箱扩容套餐限时优惠，详情请访问官网。退订请回复TD。"),
        ("会议通知平台 <noreply@meeting-notice.example>", "2025年科技期刊发展论坛邀请函",
         "诚邀您参加2025年科技期刊发展论坛。本邮件由系统发送，请勿回复。")])
    addr = sender.split("<")[1].rstrip(">")
    style = Style("bulk", "UTF-8", "base64", "2047", [("Precedence", "bulk"), ("X-Mailer", "EDM Sender 3.2")])
    extra = [("List-Unsubscribe", f"<mailto:unsubscribe@{addr.split('@')[1]}?subject=unsubscribe>, "
                                  f"<https://{addr.split('@')[1]}/u?id={r.randint(10**6, 10**7)}>"),
             ("List-Id", f"<news.{addr.split('@')[1]}>")]

    def render(mid, idx, rr):
        return compose(rr, style, message_id=mid, when=when, from_name=sender.split(" <")[0], from_addr=addr,
                       to=[("", b.mailbox)], subject=subject, text=text, extra_headers=extra, html=True)

    b.add(_Plan(when, b.arrival(when), "unrelated", None, "ignored", render, note="newsletter / advertisement"))


def _own_mail(b: _Builder, _u):
    r = b.rng
    when = b.office_time(date(2025, 9, 2), date(2025, 9, 24))
    subject, text = r.choice([
        ("关于报送2025年全国科普月活动总结的提醒", "各单位：\n  请于9月26日前将全国科普月活动总结发送至本邮箱。\n唐山市素质办"),
        ("测试", "测试邮件，请忽略。")])
    style = style_for(r, "netease")

    def render(mid, idx, rr):
        return compose(rr, style, message_id=mid, when=when, from_name="唐山市素质办", from_addr=b.mailbox,
                       to=[("", b.mailbox)], subject=subject, text=text)

    b.add(_Plan(when, b.arrival(when), "own_mail", None, "ignored", render, note="sent by the mailbox itself"))


def _unknown_unit(b: _Builder, _u):
    r = b.rng
    name = r.choice(OTHER_CITY_UNITS)
    stranger = Unit("unknown", name, "county", [], [])
    b.clerks["unknown"] = (person_name(r), _phone(r))
    b.clients["unknown"] = "qq"
    plan = b.submission(stranger, "unknown_unit", r.choice(["docx+xlsx", "docx_table"]),
                        b.office_time(date(2025, 9, 12), date(2025, 9, 26)),
                        sender=(person_name(r), personal_address(r), False), name=name,
                        note=f"{name} is not in the registry (mail sent to the wrong city)")
    plan.unit, plan.base_status = None, "needs_review"


NOISE = [(_auto_reply, 0.22, 2), (_question, 0.1, 2), (_unrelated, 0.08, 2), (_bounce, 0.03, 1),
         (_own_mail, 0.03, 1), (_unknown_unit, 0.02, 1)]


# ---- truth -------------------------------------------------------------------------------------

def _settle(plans: list[_Plan]) -> list[str]:
    """Final status of each plan (plans in arrival order), following CONTRACT.md."""
    status = [p.base_status for p in plans]
    for i, p in enumerate(plans):
        if p.unit is None or p.base_status == "ignored":
            continue
        carried = {k for k, v in (("narrative", p.carries_narrative), ("list", p.carries_list)) if v}
        for later in plans[i + 1:]:
            if later.unit is not p.unit or later.base_status != "accepted":
                continue
            covers = {k for k, v in (("narrative", later.carries_narrative), ("list", later.carries_list)) if v}
            if p.base_status == "needs_review" or carried <= covers:
                status[i] = "superseded"
                break
    return status


def _is_late(when: datetime) -> bool:
    return when.astimezone(TZ).date() > DEADLINE


# ---- public API --------------------------------------------------------------------------------

def generate(seed: int = 7, *, mailbox_addr: str = "tskxpjb@126.com", admin_addrs=("admin@example.org",),
             n_units: int = 40, quotas: dict | None = None, extended: bool = False) -> SampleSet:
    """``extended=True`` adds the harder cases of ``samples.extended`` (legacy formats made by
    LibreOffice, odd table layouts, archives, links, loose unit names); without soffice the cases
    that need it are left out with a printed note. The default corpus stays byte for byte the same."""
    rng = random.Random(seed)
    quotas = {**QUOTAS, **(quotas or {})}
    units = build_units(rng, n_units)
    b = _Builder(seed, mailbox_addr, list(admin_addrs), units, quotas, rng)
    scenarios, fill = dict(SCENARIOS), dict(FILL_WEIGHTS)
    if extended:
        from . import convert
        from . import extended as ext
        ext_scenarios = dict(ext.SCENARIOS)
        if not convert.available():
            print("samples: soffice not found; left out: " + ", ".join(sorted(ext.NEEDS_SOFFICE)))
            ext_scenarios = {k: v for k, v in ext_scenarios.items() if k not in ext.NEEDS_SOFFICE}
        b.converter = convert.Converter()
        scenarios.update(ext_scenarios)
        fill.update({k: ext.WEIGHTS[k] for k in ext_scenarios})

    order = list(units)
    rng.shuffle(order)
    n_missing = max(1, round(n_units * 0.1))
    active = order[:-n_missing]
    with_mail = [u for u in active if u.emails]
    without = [u for u in active if not u.emails]

    # Every scenario at least once: forwards need a registered original sender,
    # the personal-sender case prefers a unit that has no address at all.
    assigned: dict[str, str] = {}
    if without:
        assigned[without[0].unit_id] = "personal_sender"
    pool = [u for u in with_mail]
    for scenario in scenarios:
        if scenario in assigned.values():
            continue
        if not pool:  # a registry too small for every case (extended corpora need ~60 units)
            break
        unit = pool.pop(0)
        assigned[unit.unit_id] = scenario
    for u in active:
        if u.unit_id in assigned:
            continue
        if not u.emails and rng.random() < 0.6:
            assigned[u.unit_id] = "personal_sender"
            continue
        choices = [k for k in fill if u.emails or k not in NEEDS_REGISTERED]
        assigned[u.unit_id] = rng.choices(choices, [fill[k] for k in choices])[0]

    for u in active:
        before = len(b.plans)
        scenarios[assigned[u.unit_id]](b, u)
        last = b.plans[-1]
        if last.base_status == "accepted" and len(b.plans) > before and rng.random() < 0.12:
            _scan_followup(b, u, last.when)

    senders = [u for u in units if u.emails]
    for make, share, minimum in NOISE:
        for _ in range(max(minimum, round(n_units * share))):
            make(b, rng.choice(senders))

    plans = sorted(b.plans, key=lambda p: p.received)
    # nudge equal arrival times apart so that arrival order is total
    for prev, cur in zip(plans, plans[1:]):
        if cur.received <= prev.received:
            cur.received = prev.received + timedelta(seconds=1)
    statuses = _settle(plans)
    if b.converter is not None:
        b.converter.run()

    mails = []
    for idx, (plan, status) in enumerate(zip(plans, statuses), 1):
        mid = f"<gen-{idx:04d}.{seed}@sample.invalid>"
        raw = plan.render(mid, idx, random.Random(seed * 1_000_003 + idx))
        truth = MailTruth(case=plan.case, status=status,
                          unit_id=plan.unit.unit_id if plan.unit and status != "ignored" else None,
                          acked=plan.base_status != "ignored", late=_is_late(plan.when),
                          carries_list=plan.carries_list, activities=list(plan.activities),
                          carries_narrative=plan.carries_narrative, note=plan.note)
        mails.append(SampleMail(raw, mid, plan.received.astimezone(TZ), truth))
    return SampleSet(units, mails, mailbox_addr, list(admin_addrs), quotas, seed)


def write_maildir(sample: SampleSet, path) -> None:
    """Write the mails into a Maildir's new/ with the stdlib mailbox module.

    Files get LF line ends (the Maildir convention; servers serve CRLF) and their
    arrival time as mtime, which Dovecot takes as INTERNALDATE. They are renamed so
    that sorting the names gives arrival order (mailbox's own names do not sort).
    """
    md = mailbox.Maildir(str(path), create=True)
    new = Path(path) / "new"
    for i, mail in enumerate(sample.mails, 1):
        key = md.add(mail.raw.replace(b"\r\n", b"\n"))
        stamp = mail.received.timestamp()
        src = new / key
        dst = new / f"{int(stamp)}.M{i:06d}P{sample.seed}Q{i}.sample"
        os.replace(src, dst)
        os.utime(dst, (stamp, stamp))
