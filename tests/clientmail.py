"""A fixture set composed by real mail clients, with the expected outcome of each mail written by hand.

The mails are made by mutt, s-nail and swaks (Debian packages), each handing its message to a tiny
"sendmail" that writes it to a file; the Word and Excel files they carry are written by LibreOffice
from HTML and CSV. Only the Date header is rewritten afterwards (clients stamp "now"), so the mails
fall inside the campaign in a known order. The 20 stranger mails are built with the standard library:
what they test is whom we answer, not how they are encoded.

What the set covers (issue 9 points 3-5, issue 10 points 1-2): a county forwarding a project unit's
mail as an attached message and a township association's mail inline; the township writing itself; "收到，谢谢！" without
In-Reply-To; a reply asking a question; a registered unit's reply that does carry a corrected table;
"附件忘带了" from a registered address; a vendor's training notice with a .docx brochure; a stranger
with 20 Reply-To addresses; someone impersonating a registered county.

``build(workdir)`` returns the registry (CSV text), the mails and the expectations; the result is cached
by the content of this file, so a test session (or bench/accuracy.py) composes it once.
``score(built, data, acks)`` compares an export and the acknowledgments sent with the expectations.
"""
from __future__ import annotations

import email
import email.utils
import hashlib
import os
import pickle
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from conftest import parser_budget_mb

MAILBOX = "tskxpjb@126.com"
ADMINS = ("admin@example.org",)
TZ = timezone(timedelta(hours=8))
CLIENTS = ("mutt", "s-nail", "swaks", "soffice")

UNITS_CSV = """unit_id,name,category,aliases,emails
fengnan,唐山市丰南区科学技术协会,county,丰南区科协,fnkx@163.com
fnxm,丰南区青少年科技教育示范项目,project,,fnqskj@126.com
yixue,唐山市医学会,society,,tsyxh@163.com
kjg,唐山市科技馆,base,,tskjg@126.com
lunan,唐山市路南区科学技术协会,county,路南区科协,lnkx@163.com
"""

ACTIVITY_HEADER = "序号,活动名称,活动时间,活动地点,活动形式,参与人数"


class ClientMissing(RuntimeError):
    """A mail client or LibreOffice is not installed."""


@dataclass
class Expect:
    label: str
    client: str
    status: str  # accepted | superseded | needs_review | ignored
    unit_id: str | None
    activities: int  # activities of this message in the export (its current ones)
    acks_to: tuple[str, ...]  # recipients of the acknowledgment of this message ( () = none)
    note: str = ""


@dataclass
class Built:
    units_csv: str
    mails: list[tuple[str, bytes, datetime]]  # (label, raw, delivery time)
    expects: list[Expect]
    notices_to: tuple[str, ...]  # where "someone used your name" notices must go, and nowhere else
    strangers: int  # mails from the stranger with 20 Reply-To addresses
    stranger_from: str
    max_stranger_acks: int

    def message_ids(self) -> dict[str, str]:
        return {label: email.message_from_bytes(raw)["Message-ID"].strip() for label, raw, _ in self.mails}


# --- LibreOffice: tables and documents as a clerk's office suite writes them ---------------------

def _rows(prefix: str, n: int, day0: int, place: str) -> str:
    lines = [ACTIVITY_HEADER]
    for i in range(n):
        day = day0 + i % 12
        lines.append(f"{i + 1},{prefix}科普活动第{i + 1}场,2025年9月{day}日,{place},线下,{100 + 10 * i}")
    return "\n".join(lines) + "\n"


def _summary_html(title: str, body: str, table_rows: list[list[str]] | None = None) -> str:
    table = ""
    if table_rows:
        table = "<table border='1'>" + "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in table_rows) + "</table>"
    return (f"<html><head><meta charset='utf-8'></head><body><h1>{title}</h1>"
            + "".join(f"<p>{p}</p>" for p in body.split("\n")) + table + "</body></html>")


def _soffice(sources: dict[str, str], workdir: Path) -> dict[str, bytes]:
    """{"name.xlsx": csv text, "name.docx": html text} -> the files LibreOffice writes, by name."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise ClientMissing("soffice (LibreOffice) is not installed")
    out: dict[str, bytes] = {}
    src_dir, out_dir = workdir / "office-src", workdir / "office-out"
    src_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(exist_ok=True)
    jobs = {"xlsx": ("csv", "CSV:44,34,76,1", "xlsx:Calc MS Excel 2007 XML"),
            "docx": ("html", "HTML (StarWriter)", "docx:MS Word 2007 XML")}
    for target, (src_ext, infilter, convert_to) in jobs.items():
        stems = {}
        for n, (name, text) in enumerate(sorted(sources.items())):
            if name.endswith("." + target):
                stem = f"f{n:02d}"
                (src_dir / f"{stem}.{src_ext}").write_text(text, encoding="utf-8")
                stems[stem] = name
        if not stems:
            continue
        subprocess.run([exe, f"-env:UserInstallation={(workdir / 'office-profile').as_uri()}", "--headless",
                        "--norestore", "--nologo", "--nolockcheck", f"--infilter={infilter}",
                        "--convert-to", convert_to, "--outdir", str(out_dir),
                        *[str(src_dir / f"{s}.{src_ext}") for s in stems]],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, HOME=str(workdir)), timeout=240, check=False)
        for stem, name in stems.items():
            made = out_dir / f"{stem}.{target}"
            if not made.is_file():
                raise RuntimeError(f"LibreOffice did not write {name}")
            out[name] = made.read_bytes()
    return out


# --- the mail clients --------------------------------------------------------------------------

class Clients:
    """mutt, s-nail and swaks, each writing the message it would send into a file."""

    def __init__(self, workdir: Path):
        for name in ("mutt", "s-nail", "swaks"):
            if shutil.which(name) is None:
                raise ClientMissing(f"{name} is not installed (apt-get install mutt s-nail swaks)")
        self.dir = workdir
        self.files = workdir / "files"
        self.files.mkdir(parents=True, exist_ok=True)
        self.capture = workdir / "sendmail.sh"
        self.capture.write_text('#!/bin/sh\ncat > "$CAPTURE"\n')
        self.capture.chmod(0o755)
        self.count = 0

    def file(self, name: str, data: bytes) -> Path:
        path = self.files / name
        path.write_bytes(data)
        return path

    def _run(self, cmd: list[str], body: str) -> bytes:
        self.count += 1
        out = self.dir / f"mail{self.count:03d}.eml"
        env = dict(os.environ, HOME=str(self.dir), LANG="C.UTF-8", LC_ALL="C.UTF-8", CAPTURE=str(out))
        done = subprocess.run(cmd, input=body.encode(), env=env, cwd=self.dir, capture_output=True, timeout=60)
        if done.returncode != 0 or not out.is_file():
            raise RuntimeError(f"{cmd[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')[:300]}")
        return out.read_bytes()

    def mutt(self, from_: str, to: str, subject: str, body: str, attach: list[Path] = ()) -> bytes:
        sets = [f'set sendmail="{self.capture}"', f'set from="{from_}"', "set use_from=yes", "set copy=no",
                'set send_charset="utf-8"', 'set charset="utf-8"', f'set hostname="{from_.split("@")[-1].strip(">")}"']
        cmd = ["mutt", "-F", "/dev/null", "-n", *[a for s in sets for a in ("-e", s)], "-s", subject]
        if attach:
            cmd += ["-a", *map(str, attach)]
        return self._run(cmd + ["--", to], body)

    def snail(self, from_: str, to: str, subject: str, body: str, attach: list[Path] = ()) -> bytes:
        cmd = ["s-nail", "-:/", "-Sv15-compat", f"-Smta={self.capture}", "-Sttycharset=utf-8",
               "-Ssendcharsets=utf-8", f"-Shostname={from_.split('@')[-1].strip('>')}", "-r", from_, "-s", subject]
        for path in attach:
            cmd += ["-a", str(path)]
        return self._run(cmd + [to], body)

    def swaks(self, from_: str, to: str, subject: str, body: str, attach: list[Path] = ()) -> bytes:
        # swaks writes what it would send with --dump-mail, without connecting anywhere
        address = re.search(r"[\w.+-]+@[\w.-]+", from_).group(0)
        cmd = ["swaks", "--to", to, "--from", address, "--h-From", from_,
               "--header", f"Subject: {subject}", "--body", body, "--dump-mail", "--server", "127.0.0.1:9"]
        for path in attach:
            cmd += ["--attach-type", "application/octet-stream", "--attach-name", path.name, "--attach", f"@{path}"]
        self.count += 1
        env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
        if done.returncode != 0 or not done.stdout:
            raise RuntimeError(f"swaks failed ({done.returncode}): {done.stderr.decode(errors='replace')[:300]}")
        return done.stdout.replace(b"\r\n", b"\n")


def dated(raw: bytes, when: datetime) -> bytes:
    """The client's message with its Date header set to ``when`` (clients stamp the current time)."""
    head, sep, body = raw.partition(b"\n\n")
    stamp = email.utils.format_datetime(when).encode()
    head, n = re.subn(rb"(?im)^Date:[^\n]*(?:\n[ \t][^\n]*)*", b"Date: " + stamp, head, count=1)
    if not n:
        head = b"Date: " + stamp + b"\n" + head
    return head + sep + body


def quote_ack(unit_name: str, subject: str, when: datetime) -> str:
    """Our acknowledgment as a NetEase client quotes it under a reply."""
    return (f"------------------ 原始邮件 ------------------\n"
            f"发件人: \"唐山市素质办（自动回复）\"<{MAILBOX}>;\n"
            f"发送时间: {when.year}年{when.month}月{when.day}日 上午10:05\n"
            f"主题: 【已收到】{unit_name}：{subject}\n\n"
            f"{unit_name}：\n\n您好！唐山市素质办已收到您发送的邮件“{subject}”。以下是系统自动读取的结果，请核对。\n"
            "【收到的附件】\n  1. 活动统计表.xlsx：已读取，读出活动 2 项\n"
            "此邮件由系统自动发送，请勿仅回复“收到”。如有疑问请联系唐山市素质办。\n")


def _day(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 9, day, hour, 0, tzinfo=TZ)


# --- the set ------------------------------------------------------------------------------------

STRANGERS = 20
STRANGER = "promo@kp-ziliao.net"


def _compose(workdir: Path) -> Built:
    fn_title = "唐山市丰南区科协2025年全国科普月活动总结"
    office = _soffice({
        "丰南区科协科普月活动总结.docx": _summary_html(fn_title, "一、活动开展情况\n丰南区围绕科普月主题开展重点科普活动12项。\n"
                                                        "二、工作成效\n覆盖群众一万余人次。"),
        "丰南区科协重点科普活动统计表.xlsx": _rows("丰南区", 12, 5, "丰南区文化馆"),
        "丰南区青少年科技教育示范项目活动统计表.xlsx": _rows("青少年科技教育示范项目", 2, 8, "丰南区第一中学"),
        "黄各庄镇科协科普月活动总结.docx": _summary_html(
            "丰南区黄各庄镇科协2025年全国科普月活动总结", "一、活动开展情况\n我镇开展科普活动2项。",
            [["活动名称", "活动时间", "活动地点", "参与人数"], ["黄各庄镇科普大集", "2025年9月13日", "黄各庄镇政府广场", "300"],
             ["黄各庄镇老年人防诈骗讲座", "2025年9月14日", "黄各庄镇文化站", "80"]]),
        "唐山市医学会活动明细.xlsx": _rows("医学会", 2, 10, "唐山市工人医院"),
        "唐山市医学会活动明细（修改）.xlsx": _rows("医学会", 3, 10, "唐山市工人医院"),
        "丰南区科协活动统计表（更正）.xlsx": _rows("冒名", 3, 20, "某地"),
        "培训班通知.docx": _summary_html(
            "关于举办2025年科普讲解员能力提升培训班的通知", "各有关单位：\n兹定于2025年10月在北京举办培训班，欢迎报名。\n"
                                                          "收费标准：每人3800元（含食宿）。",
            [["课程名称", "授课时间", "授课地点", "名额"], ["讲解技巧实训", "2025年10月20日", "北京", "50"],
             ["新媒体科普传播", "2025年10月21日", "北京", "50"]]),
        "总结范文.docx": _summary_html("科普月活动总结范文大全", "购买全套范文请访问本站。"),
    }, workdir)
    c = Clients(workdir)
    f = {name: c.file(name, data) for name, data in office.items()}
    mails: list[tuple[str, bytes, datetime]] = []
    expects: list[Expect] = []

    def add(label: str, client: str, raw: bytes, when: datetime, expect: Expect | None) -> None:
        mails.append((label, dated(raw, when), when))
        if expect:
            expects.append(expect)

    add("county_own", "mutt", c.mutt("唐山市丰南区科协 <fnkx@163.com>", MAILBOX, fn_title,
                                     "您好！\n丰南区科协全国科普月活动总结及重点活动统计表见附件，请查收。\n\n丰南区科协 张敏\n",
                                     [f["丰南区科协科普月活动总结.docx"], f["丰南区科协重点科普活动统计表.xlsx"]]), _day(12),
        Expect("county_own", "mutt", "accepted", "fengnan", 12, ("fnkx@163.com",),
               "the county's own summary and 12 activities, from its registered address"))

    project_subject = "丰南区青少年科技教育示范项目2025年全国科普月活动总结"
    original = dated(c.snail("丰南区青少年科技教育示范项目 <fnqskj@126.com>", "fnkx@163.com", project_subject,
                             "丰南区科协：\n我项目科普月活动统计表见附件。\n丰南区青少年科技教育示范项目\n",
                             [f["丰南区青少年科技教育示范项目活动统计表.xlsx"]]), _day(13, 9))
    attached = c.file(f"{project_subject}.eml", original)
    add("county_forwards_attached", "mutt+s-nail",
        c.mutt("唐山市丰南区科协 <fnkx@163.com>", MAILBOX, f"Fw: {project_subject}",
               "转发项目单位的科普月总结，请查收。\n\n丰南区科协 张敏\n", [attached]), _day(14),
        Expect("county_forwards_attached", "mutt+s-nail", "accepted", "fnxm", 2, ("fnkx@163.com",),
               "a project unit's mail forwarded as message/rfc822: the project's, the county keeps its 12"))

    township_text = ("转发黄各庄镇科协的科普月材料。\n\n丰南区科协 张敏\n\n"
                     "------------------ 原始邮件 ------------------\n"
                     "发件人: \"黄各庄镇科协\"<hgzkx2025@qq.com>;\n发送时间: 2025年9月14日(星期日) 上午9:30\n"
                     "收件人: \"丰南区科协\"<fnkx@163.com>;\n主题: 丰南区黄各庄镇科协2025年全国科普月活动总结\n\n"
                     "丰南区科协：\n  我镇科普月活动总结见附件。\n黄各庄镇科协\n")
    add("county_forwards_inline", "mutt",
        c.mutt("唐山市丰南区科协 <fnkx@163.com>", MAILBOX, "转发：丰南区黄各庄镇科协2025年全国科普月活动总结",
               township_text, [f["黄各庄镇科协科普月活动总结.docx"]]), _day(15),
        Expect("county_forwards_inline", "mutt", "needs_review", None, 0, ("fnkx@163.com",),
               "a township association (not registered) forwarded inline: nobody's for sure, the county keeps its 12"))

    add("township_direct", "s-nail",
        c.snail("黄各庄镇科协 <hgzkx2025@qq.com>", MAILBOX, "丰南区黄各庄镇科协2025年全国科普月活动总结",
                "您好，我镇科普月活动总结见附件。\n丰南区黄各庄镇科协\n", [f["黄各庄镇科协科普月活动总结.docx"]]), _day(15, 16),
        Expect("township_direct", "s-nail", "needs_review", None, 0, ("hgzkx2025@qq.com",),
               "a township association (not registered) named after its county is not the county"))

    ack_subject = f"{fn_title}"
    add("thanks_reply", "mutt",
        c.mutt("唐山市丰南区科协 <fnkx@163.com>", MAILBOX, f"回复：【已收到】唐山市丰南区科学技术协会：{ack_subject}",
               "收到，谢谢！\n\n" + quote_ack("唐山市丰南区科学技术协会", ack_subject, _day(12))), _day(16),
        Expect("thanks_reply", "mutt", "ignored", None, 0, (), "“收到，谢谢！” without In-Reply-To"))

    yx_subject = "唐山市医学会全国科普月活动总结"
    add("society_first", "s-nail",
        c.snail("唐山市医学会 <tsyxh@163.com>", MAILBOX, yx_subject, "您好，医学会科普月活动明细见附件。\n唐山市医学会\n",
                [f["唐山市医学会活动明细.xlsx"]]), _day(11),
        Expect("society_first", "s-nail", "superseded", "yixue", 0, ("tsyxh@163.com",)))
    add("society_question", "s-nail",
        c.snail("唐山市医学会 <tsyxh@163.com>", MAILBOX, f"Re: 【已收到，请核对】唐山市医学会：{yx_subject}",
                "老师好，请问活动明细表需要盖章后再发一份吗？\n\n" + quote_ack("唐山市医学会", yx_subject, _day(11))),
        _day(16, 11),
        Expect("society_question", "s-nail", "ignored", None, 0, (), "a reply that asks: for a person, no auto-reply"))
    add("society_reply_with_table", "s-nail",
        c.snail("唐山市医学会 <tsyxh@163.com>", MAILBOX, f"Re: 回复：【已收到，请核对】唐山市医学会：{yx_subject}",
                "修改后的活动明细见附件，共3项。\n\n" + quote_ack("唐山市医学会", yx_subject, _day(11)),
                [f["唐山市医学会活动明细（修改）.xlsx"]]), _day(17),
        Expect("society_reply_with_table", "s-nail", "accepted", "yixue", 3, ("tsyxh@163.com",),
               "a reply that carries the corrected table is a submission"))

    add("forgot_attachment", "mutt",
        c.mutt("唐山市科技馆 <tskjg@126.com>", MAILBOX, "唐山市科技馆科普月总结", "附件忘带了，稍后补发。\n唐山市科技馆 李华\n"),
        _day(17, 15),
        Expect("forgot_attachment", "mutt", "needs_review", "kjg", 0, ("tskjg@126.com",),
               "a registered unit without attachment is not spam"))

    add("vendor_brochure", "swaks",
        c.swaks("科普培训中心 <peixun@kepu-edu.com.cn>", MAILBOX, "关于举办2025年科普讲解员能力提升培训班的通知",
                "各有关单位：\n兹定于10月举办科普讲解员能力提升培训班，详见附件。报名咨询：010-12345678\n",
                [f["培训班通知.docx"]]), _day(18),
        Expect("vendor_brochure", "swaks", "ignored", None, 0, (), "a stranger's training notice: no answer"))

    add("impersonation", "swaks",
        c.swaks("丰南区科协 <fnkx2025@qq.com>", MAILBOX, "唐山市丰南区科协全国科普月活动总结（更正版）",
                "更正后的活动统计表见附件，以此为准。\n", [f["丰南区科协活动统计表（更正）.xlsx"]]), _day(19),
        Expect("impersonation", "swaks", "needs_review", "fengnan", 0, ("fnkx2025@qq.com",),
               "an unregistered address in the county's name: held, the county's 12 stay"))

    brochure = office["总结范文.docx"]
    for i in range(STRANGERS):
        msg = EmailMessage()
        msg["From"] = f"科普资料网 <{STRANGER}>"
        msg["To"] = MAILBOX
        msg["Reply-To"] = f"victim{i:02d}@example.net"
        msg["Subject"] = f"2025年全国科普月活动总结范文 http://kp-ziliao.net/?id={i}"
        msg["Message-ID"] = f"<promo{i:02d}.{hashlib.sha1(brochure).hexdigest()[:8]}@kp-ziliao.net>"
        msg.set_content("各单位科普月活动总结范文，下载请访问 http://kp-ziliao.net/")
        msg.add_attachment(brochure, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename="总结范文.docx")
        add(f"stranger{i:02d}", "stdlib", msg.as_bytes(), _day(20, 8) + timedelta(minutes=i), None)

    return Built(UNITS_CSV, mails, expects, notices_to=("fnkx@163.com",), strangers=STRANGERS,
                 stranger_from=STRANGER, max_stranger_acks=2)


def build(workdir: Path | None = None) -> Built:
    """The set, composed once per content of this file (cached in the temp dir)."""
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"summary-clientmail-{digest}.pickle"
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    with tempfile.TemporaryDirectory(prefix="clientmail-") as tmp:
        built = _compose(Path(workdir or tmp))
    cache.write_bytes(pickle.dumps(built))
    return built


@dataclass
class Score:
    checks: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.passed / self.checks if self.checks else 0.0

    def check(self, ok: bool, what: str) -> None:
        self.checks += 1
        self.passed += int(ok)
        if not ok:
            self.failures.append(what)


def score(built: Built, data: dict, sent: list) -> Score:
    """``data``: the JSON export; ``sent``: parsed mails the SMTP sink received."""
    ids = built.message_ids()
    messages = {m["message_id"]: m for m in data["messages"]}
    acks: dict[str, list[str]] = {}
    notices: list[str] = []
    for mail in sent:
        to = [a for _, a in email.utils.getaddresses([mail["To"] or ""])]
        if "【请留意】" in (mail["Subject"] or ""):
            notices += to
        elif mail["In-Reply-To"]:
            acks.setdefault(mail["In-Reply-To"].strip(), []).extend(to)
    s = Score()
    for e in built.expects:
        mid = ids[e.label]
        m = messages.get(mid)
        s.check(m is not None and m["status"] == e.status,
                f"{e.label}: status {m and m['status']} ({m and m['reason']}), expected {e.status}")
        s.check(m is not None and m["unit_id"] == e.unit_id, f"{e.label}: unit {m and m['unit_id']}, expected {e.unit_id}")
        count = sum(1 for a in data["activities"] if a["message_id"] == mid)
        s.check(count == e.activities, f"{e.label}: {count} current activities, expected {e.activities}")
        got = tuple(sorted(acks.get(mid, [])))
        s.check(got == tuple(sorted(e.acks_to)), f"{e.label}: acknowledged to {got}, expected {e.acks_to}")
    stranger_ids = [ids[label] for label, _, _ in built.mails if label.startswith("stranger")]
    answered = [a for mid in stranger_ids for a in acks.get(mid, [])]
    s.check(all(a == built.stranger_from for a in answered),
            f"stranger mails answered to {sorted(set(answered) - {built.stranger_from})}, not only From")
    s.check(len(answered) <= built.max_stranger_acks,
            f"{len(answered)} acknowledgments for {built.strangers} stranger mails (at most {built.max_stranger_acks})")
    s.check(sorted(notices) == sorted(built.notices_to), f"notices went to {notices}, expected {built.notices_to}")
    units = {u["unit_id"]: u for u in data["units"]}
    s.check(units["fengnan"]["reported"] == 12, f"the county reports {units['fengnan']['reported']}, expected 12")
    return s


def stranger_acks(built: Built, sent: list) -> int:
    """Acknowledgments that went out for the stranger's 20 mails (the figure of issue 10)."""
    ids = {ids for label, ids in built.message_ids().items() if label.startswith("stranger")}
    return sum(1 for mail in sent if (mail["In-Reply-To"] or "").strip() in ids)


def run_set(built: Built, account, sink, workdir: Path) -> tuple[dict, list]:
    """Deliver the set into the Dovecot ``account``, run ``poll`` with ``sink`` as the SMTP server and
    return (the JSON export, the mails the sink received)."""
    import json

    import yaml

    from run import main

    os.environ["CLIENTMAIL_PASSWORD"] = account.password
    (workdir / "units.csv").write_text(built.units_csv, encoding="utf-8")
    config = {"mailbox": {**account.mailbox_config(), "password": "${CLIENTMAIL_PASSWORD}"},
              "smtp": {**sink.smtp_config(), "from": MAILBOX, "max_per_minute": 1000},
              "admins": list(ADMINS), "data_dir": "var", "campaign": {"units": "units.csv"},
              "extraction": {"workers": 2, "memory_budget_mb": parser_budget_mb()}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    account.append_many([raw for _, raw, _ in built.mails], [when for _, _, when in built.mails])
    if main(["--config", str(path), "poll"]) != 0:
        raise RuntimeError("poll failed")
    out = workdir / "export.json"
    if main(["--config", str(path), "export", "--format", "json", "--out", str(out)]) != 0:
        raise RuntimeError("export failed")
    return json.loads(out.read_text(encoding="utf-8")), [r.parsed() for r in sink.messages]
