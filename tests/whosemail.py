"""Whose mail, and is it a submission (issue 16 points 1-4 and 9): mail composed by mutt, s-nail and swaks
with Word and Excel files LibreOffice wrote, each with its outcome written by hand.

- a unit's registered address forwarding (attached, and inline) what one of its own people wrote from a
  personal address: the forwarder's own submission;
- a reply to the office's notice that says "附件是我单位的总结" with nothing attached, and a reply to our
  acknowledgment that says the corrected file is attached (it is not): answered, for review; "收到" to the
  notice: ignored;
- mail about another event (科技活动周总结, 科普讲解大赛报名表) from registered units: ignored, replaces nothing;
  a 科普月 summary that mentions 科技活动周 in its body stays a submission;
- a personal address whose Word title names one unit while its text and signature name a county;
- a county sending its own files and a registered township's; a clerk sending two societies' files; a
  clerk's mail whose third file names nobody (unsure: for a person).

``build()`` caches the set by the content of this file and of clientmail.py (whose clients it uses).
"""
from __future__ import annotations

import hashlib
import pickle
import tempfile
from pathlib import Path

from clientmail import MAILBOX, Built, Clients, Expect, _day, _rows, _soffice, _summary_html, dated, quote_ack

UNITS_CSV = """unit_id,name,category,aliases,emails
fengnan,唐山市丰南区科学技术协会,county,丰南区科协,fnkx@163.com
hgz,丰南区黄各庄镇科协,base,黄各庄镇科协,hgzkx@163.com
lunan,唐山市路南区科学技术协会,county,路南区科协,lnkx@163.com
kjg,唐山市科技馆,base,,tskjg@126.com
qsn,唐山市青少年科技中心,base,,tsqsn@126.com
yixue,唐山市医学会,society,,tsyxh@163.com
yaoxue,唐山市药学会,society,,tsyaoxh@163.com
"""

NOTICE_SUBJECT = "关于报送2025年全国科普月活动总结的通知"


def notice_quote() -> str:
    """The office's notice (written by a person at the mailbox) as a NetEase client quotes it."""
    return ("------------------ 原始邮件 ------------------\n"
            f"发件人: \"唐山市素质办\"<{MAILBOX}>;\n发送时间: 2025年9月1日(星期一) 上午9:00\n"
            f"主题: {NOTICE_SUBJECT}\n\n各单位：\n请于9月26日前将科普月活动总结及重点科普活动统计表发送至本邮箱。\n")


def _may_rows(prefix: str, n: int) -> str:
    lines = ["序号,活动名称,活动时间,活动地点,活动形式,参与人数"]
    lines += [f"{i + 1},{prefix}第{i + 1}场,2025年5月{20 + i}日,唐山市科技馆,线下,{200 + i}" for i in range(n)]
    return "\n".join(lines) + "\n"


def _office_files(workdir: Path) -> dict[str, bytes]:
    return _soffice({
        "路南区科协科普月活动总结.docx": _summary_html(
            "唐山市路南区科协2025年全国科普月活动总结", "一、活动开展情况\n路南区开展重点科普活动10项。\n二、工作成效\n覆盖群众八千余人次。"),
        "路南区科协重点科普活动统计表.xlsx": _rows("路南区", 10, 3, "路南区文化馆"),
        "科普月活动统计表.xlsx": _rows("科技馆", 4, 6, "唐山市科技馆"),
        "唐山市科技馆科普月活动总结.docx": _summary_html(
            "唐山市科技馆2025年全国科普月活动总结", "一、活动开展情况\n我馆开展科普月重点活动4项，并延续了5月科技活动周的科普展览。"),
        "科技馆科技活动周总结.docx": _summary_html(
            "唐山市科技馆2025年科技活动周工作总结", "一、活动开展情况\n5月科技活动周期间，我馆开展活动3项。"),
        "科技活动周活动统计表.xlsx": _may_rows("科技活动周展览", 3),
        "2025年唐山市科普讲解大赛报名表.xlsx": "姓名,性别,单位,讲解题目,联系电话\n张敏,女,丰南区科协,身边的科学,13800000000\n",
        "总结.docx": _summary_html(
            "唐山市青少年科技中心2025年全国科普月活动总结",
            "一、活动开展情况\n我中心联合丰南区科协、丰南区各学校开展青少年科普活动，在丰南区第一中学举办科学实验秀。\n"
            "二、工作成效\n丰南区、路北区共2000余名学生参加。"),
        "青少年科技中心活动统计表.xlsx": _rows("青少年科技中心", 3, 9, "唐山市青少年科技中心"),
        "丰南区科协科普月活动总结.docx": _summary_html(
            "唐山市丰南区科协2025年全国科普月活动总结", "一、活动开展情况\n丰南区开展重点科普活动12项。\n二、工作成效\n覆盖群众一万余人次。"),
        "丰南区科协重点科普活动统计表.xlsx": _rows("丰南区", 12, 5, "丰南区文化馆"),
        "黄各庄镇科协科普活动统计表.xlsx": _rows("黄各庄镇", 2, 13, "黄各庄镇文化站"),
        "唐山市医学会活动明细.xlsx": _rows("医学会", 2, 10, "唐山市工人医院"),
        "唐山市药学会活动明细.xlsx": _rows("药学会", 3, 11, "唐山市人民医院"),
        "活动照片说明及统计.xlsx": _rows("联合义诊", 2, 20, "唐山市工人医院"),
    }, workdir)


def _compose(workdir: Path) -> Built:
    office = _office_files(workdir)
    c = Clients(workdir)
    f = {name: c.file(name, data) for name, data in office.items()}
    mails: list = []
    expects: list[Expect] = []

    def add(label: str, client: str, raw: bytes, when, expect: Expect | None) -> None:
        mails.append((label, dated(raw, when), when))
        if expect:
            expects.append(expect)

    # 1. a unit's own forward, attached: a colleague wrote from a personal address; the files name the unit
    ln_subject = "路南区科协2025年全国科普月活动总结"
    original = dated(c.snail("李娜 <lina8899@qq.com>", "lnkx@163.com", ln_subject,
                             "王主任：\n科普月总结和统计表做好了，见附件，您看后转发市里。\n李娜\n",
                             [f["路南区科协科普月活动总结.docx"], f["路南区科协重点科普活动统计表.xlsx"]]), _day(10, 9))
    add("own_forward_attached", "mutt+s-nail",
        c.mutt("唐山市路南区科协 <lnkx@163.com>", MAILBOX, f"Fw: {ln_subject}",
               "转发我单位科普月总结，请查收。\n\n路南区科协 王主任\n", [c.file(f"{ln_subject}.eml", original)]), _day(10),
        Expect("own_forward_attached", "mutt+s-nail", "accepted", "lunan", 10, ("lnkx@163.com",),
               "the county's address forwards its own colleague's mail: its own submission"))

    # 1. inline: the files name no unit at all
    inline = ("请查收我馆科普月活动统计表。\n\n唐山市科技馆 办公室\n\n"
              "-------- 转发邮件信息 --------\n发件人：\"王强\" <wangqiang1990@163.com>\n"
              "发送日期：2025-09-11 08:30:00\n收件人：\"唐山市科技馆\" <tskjg@126.com>\n主题：科普月活动统计表\n\n"
              "办公室：\n统计表已填好，见附件。\n王强\n")
    add("own_forward_inline", "s-nail",
        c.snail("唐山市科技馆 <tskjg@126.com>", MAILBOX, "转发：科普月活动统计表", inline, [f["科普月活动统计表.xlsx"]]),
        _day(11),
        Expect("own_forward_inline", "s-nail", "superseded", "kjg", 0, ("tskjg@126.com",),
               "forwarded inline with a file naming no unit: the museum's own (later replaced by its summary)"))
    add("campaign_mentions_other_event", "mutt",
        c.mutt("唐山市科技馆 <tskjg@126.com>", MAILBOX, "唐山市科技馆2025年全国科普月活动总结",
               "您好！我馆科普月总结及统计表见附件。总结中也提到了5月科技活动周的展览延续情况。\n唐山市科技馆\n",
               [f["唐山市科技馆科普月活动总结.docx"], f["科普月活动统计表.xlsx"]]), _day(12),
        Expect("campaign_mentions_other_event", "mutt", "accepted", "kjg", 4, ("tskjg@126.com",),
               "a 科普月 summary mentioning 科技活动周 in passing is a submission"))

    # 3. another event: never a submission, never replaces the museum's 4 activities
    add("other_event_week", "mutt",
        c.mutt("唐山市科技馆 <tskjg@126.com>", MAILBOX, "唐山市科技馆2025年科技活动周工作总结",
               "您好！我馆科技活动周工作总结及活动统计表见附件，请查收。\n唐山市科技馆\n",
               [f["科技馆科技活动周总结.docx"], f["科技活动周活动统计表.xlsx"]]), _day(14),
        Expect("other_event_week", "mutt", "ignored", None, 0, (), "科技活动周总结: not a 科普月 submission"))
    add("other_event_contest", "swaks",
        c.swaks("唐山市丰南区科协 <fnkx@163.com>", MAILBOX, "关于报送科普讲解大赛报名表",
                "您好，我区科普讲解大赛报名表见附件。\n丰南区科协\n", [f["2025年唐山市科普讲解大赛报名表.xlsx"]]), _day(20),
        Expect("other_event_contest", "swaks", "ignored", None, 0, (), "a contest's registration form: not a submission"))

    # 2. a forgotten attachment: answering the office's notice, and answering our acknowledgment
    add("notice_reply_without_file", "s-nail",
        c.snail("唐山市医学会 <tsyxh@163.com>", MAILBOX, f"Re: {NOTICE_SUBJECT}",
                "老师您好，附件是我单位的科普月活动总结，请查收。\n唐山市医学会\n\n" + notice_quote()), _day(9),
        Expect("notice_reply_without_file", "s-nail", "needs_review", "yixue", 0, ("tsyxh@163.com",),
               "says its summary is attached, carries nothing: answered; a clerk's later mail does not replace "
               "what the society's own address sent"))
    add("notice_thanks", "mutt",
        c.mutt("唐山市药学会 <tsyaoxh@163.com>", MAILBOX, f"回复：{NOTICE_SUBJECT}", "收到，谢谢！\n\n" + notice_quote()),
        _day(9, 11),
        Expect("notice_thanks", "mutt", "ignored", None, 0, (), "“收到，谢谢！” to the notice: nothing to do"))
    qsn_subject = "科普月活动总结"
    add("ack_reply_without_file", "mutt",
        c.mutt("唐山市青少年科技中心 <tsqsn@126.com>", MAILBOX, f"回复：【已收到，请核对】唐山市青少年科技中心：{qsn_subject}",
               "修改后的活动统计表见附件。\n\n" + quote_ack("唐山市青少年科技中心", qsn_subject, _day(13))), _day(16),
        Expect("ack_reply_without_file", "mutt", "needs_review", "qsn", 0, ("tsqsn@126.com",),
               "a reply to our acknowledgment saying the file is attached, without it: answered"))

    # 4. two names: the Word title names the centre; the text and the signature name 丰南区
    add("title_outweighs_body", "s-nail",
        c.snail("李晓丽 <lixiaoli2025@139.com>", MAILBOX, qsn_subject,
                "您好，附件是我中心科普月活动总结及统计表。\n\n李晓丽\n地址：唐山市丰南区光明路12号\n",
                [f["总结.docx"], f["青少年科技中心活动统计表.xlsx"]]), _day(13),
        Expect("title_outweighs_body", "s-nail", "accepted", "qsn", 3, ("lixiaoli2025@139.com",),
               "a personal address; the title names the centre, the body and signature 丰南区: the centre's"))

    # 9. two units' files in one mail
    add("county_and_township", "mutt",
        c.mutt("唐山市丰南区科协 <fnkx@163.com>", MAILBOX, "唐山市丰南区科协2025年全国科普月活动总结",
               "您好！我区科普月活动总结、统计表，及黄各庄镇科协的活动统计表见附件，请查收。\n丰南区科协\n",
               [f["丰南区科协科普月活动总结.docx"], f["丰南区科协重点科普活动统计表.xlsx"], f["黄各庄镇科协科普活动统计表.xlsx"]]),
        _day(15),
        Expect("county_and_township", "mutt", "accepted", "fengnan", 14, ("fnkx@163.com",),
               "the county's 12 to the county, the township's 2 to the township"))
    add("shared_clerk", "s-nail",
        c.snail("学会办公室 <xuehui_ban@126.com>", MAILBOX, "医学会、药学会科普月活动明细",
                "您好，医学会和药学会的科普月活动明细见附件。\n学会办公室 刘芳\n",
                [f["唐山市医学会活动明细.xlsx"], f["唐山市药学会活动明细.xlsx"]]), _day(17),
        Expect("shared_clerk", "s-nail", "accepted", "yixue", 5, ("xuehui_ban@126.com",),
               "two societies' tables from one clerk: 2 to the medical, 3 to the pharmaceutical society"))
    add("shared_clerk_unsure", "swaks",
        c.swaks("学会办公室 <xuehui_ban@126.com>", MAILBOX, "学会活动材料",
                "医学会、药学会的材料见附件。\n刘芳\n",
                [f["唐山市医学会活动明细.xlsx"], f["唐山市药学会活动明细.xlsx"], f["活动照片说明及统计.xlsx"]]), _day(18),
        Expect("shared_clerk_unsure", "swaks", "needs_review", None, 0, ("xuehui_ban@126.com",),
               "a third table naming no unit: whose? a person decides"))
    return Built(UNITS_CSV, mails, expects, notices_to=("tsqsn@126.com", "tsyaoxh@163.com", "tsyxh@163.com"),
                 strangers=0, stranger_from="", max_stranger_acks=0)


# per unit, the activities the export must hold, and from which mail (written by hand)
UNIT_ACTIVITIES = {"lunan": (10, "own_forward_attached"), "kjg": (4, "campaign_mentions_other_event"),
                   "qsn": (3, "title_outweighs_body"), "fengnan": (12, "county_and_township"),
                   "hgz": (2, "county_and_township"), "yixue": (2, "shared_clerk"), "yaoxue": (3, "shared_clerk")}


def build() -> Built:
    here = Path(__file__).parent
    digest = hashlib.sha256((here / "whosemail.py").read_bytes() + (here / "clientmail.py").read_bytes()).hexdigest()
    cache = Path(tempfile.gettempdir()) / f"summary-whosemail-{digest[:16]}.pickle"
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    with tempfile.TemporaryDirectory(prefix="whosemail-") as tmp:
        built = _compose(Path(tmp))
    cache.write_bytes(pickle.dumps(built))
    return built
