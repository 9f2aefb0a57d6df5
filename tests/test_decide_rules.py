"""Who a mail belongs to, whether it is a submission, and whom we answer (issue 9 points 3-5, issue 10
points 1-2), on pure functions: classify, identify, the campaign's statuses, decide."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from parsers.parsed import Attachment, Envelope, FileResult, ForwardedHeader
from parsers.read_mail import MailContent
from pipeline.campaign.registry import Registry, Unit
from pipeline.campaign.standing import current_list_keys, message_statuses
from pipeline.config import load_config
from pipeline.judge.classify import classify, own_text
from pipeline.judge.decide import Context, decide
from pipeline.judge.identify import NameIndex, identify
from pipeline.ledger.rows import MessageRow
from pipeline.ledger.schema import BASE, _statements

OWN = {"tskxpjb@126.com"}
ADMINS = {"admin@example.org"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUOTED_ACK = ("------------------ 原始邮件 ------------------\n发件人: \"唐山市素质办（自动回复）\"<tskxpjb@126.com>;\n"
              "发送时间: 2025年9月12日 上午10:05\n主题: 【已收到】路南区：总结\n\n路南区：您好！已收到您的邮件。"
              "【收到的附件】活动统计表.xlsx，读出活动 2 项。请核对附件。")


def env(**kw) -> Envelope:
    base = dict(message_id="<m@x>", subject="路南区科普月活动总结", from_addr="lunan@126.com", from_name="")
    base.update(kw)
    return Envelope(**base)


def att(name="活动表.xlsx"):
    return Attachment(name, XLSX, b"")


def kind(envelope: Envelope) -> str:
    return classify(envelope, OWN, ADMINS, "summary-mailbox").kind


# --- replies to our acknowledgments (issue 9 point 4) ---------------------------------------------

@pytest.mark.parametrize("subject, text, expected", [
    ("回复：【已收到】路南区：总结", "收到，谢谢！\n\n" + QUOTED_ACK, "ack_reply"),  # no In-Reply-To: clients drop it
    ("Re: 【已收到，请核对】路南区：总结", "好的", "ack_reply"),
    ("答复: 【已收到】路南区：总结", "收到，辛苦了", "ack_reply"),
    ("回复：【已收到】路南区：总结", "收到。请问明细表需要盖章吗？\n\n" + QUOTED_ACK, "question"),
    ("路南区：总结", "收到，谢谢\n\n" + QUOTED_ACK, "ack_reply"),  # our mail quoted below, subject rewritten
])
def test_replies_to_our_acknowledgment_are_recognised_by_shape(subject, text, expected):
    envelope = env(subject=subject, text=text, forwarded=[ForwardedHeader("tskxpjb@126.com", "", "")]
                   if "原始邮件" in text else [])
    assert kind(envelope) == expected


def test_a_reply_that_carries_the_table_is_a_submission():
    assert kind(env(subject="Re: 回复：关于路南区科普月总结", text="修改后见附件\n\n" + QUOTED_ACK,
                    attachments=[att()])) == "submission"


def test_forgotten_attachment_from_a_unit_is_not_ignored():
    assert kind(env(subject="路南区科普月总结", text="附件忘带了，稍后补发。")) == "submission"


def test_own_text_stops_at_the_quote():
    assert own_text("好的\n\n在 2025年9月12日 10:05，唐山市素质办 写道：\n> 附件") == "好的"
    assert own_text("收到\n-----Original Message-----\nFrom: x") == "收到"


# --- forwards by another unit's address (issue 9 point 3) -----------------------------------------

REGISTRY = Registry([
    Unit("fengnan", "唐山市丰南区科学技术协会", "county", ("丰南区科协",), ("fnkx@163.com",)),
    Unit("fnxm", "丰南区青少年科技教育示范项目", "project", (), ("fnqskj@126.com",)),
    Unit("lunan", "路南区", "county", ("路南区科协",), ("lunan@126.com",)),
])
INDEX = NameIndex.build(REGISTRY)


def test_forward_of_a_registered_units_mail_is_that_units():
    envelope = env(from_addr="fnkx@163.com", subject="Fw: 项目总结", text="转发。\n丰南区科协",
                   forwarded=[ForwardedHeader("fnqskj@126.com", "", "项目总结")])
    result = identify(envelope, [], REGISTRY, INDEX, OWN | ADMINS)
    assert (result.unit_id, result.how, result.forwarder) == ("fnxm", "forwarded_address", "fengnan")


def test_forward_whose_files_name_another_unit_is_that_units():
    files = [FileResult("丰南区青少年科技教育示范项目活动统计表.xlsx", "xlsx", "parsed")]
    envelope = env(from_addr="fnkx@163.com", subject="转发：活动统计表", text="转发。\n丰南区科协",
                   forwarded=[ForwardedHeader("someone@qq.com", "", "活动统计表")])
    result = identify(envelope, files, REGISTRY, INDEX, OWN | ADMINS)
    assert (result.unit_id, result.how) == ("fnxm", "forward_content")


def test_forward_of_an_unregistered_township_goes_to_review_not_to_the_forwarder():
    files = [FileResult("黄各庄镇科协总结.docx", "docx", "parsed", title="丰南区黄各庄镇科协2025年全国科普月活动总结")]
    envelope = env(from_addr="fnkx@163.com", subject="转发：丰南区黄各庄镇科协总结", text="转发。\n丰南区科协",
                   forwarded=[ForwardedHeader("hgzkx@qq.com", "黄各庄镇科协", "总结")])
    result = identify(envelope, files, REGISTRY, INDEX, OWN | ADMINS)
    assert result.unit_id is None and result.how == "forward_unknown" and "fengnan" in result.candidates


def test_a_reply_quoting_our_mail_is_no_forward():
    envelope = env(from_addr="fnkx@163.com", subject="Re: 【已收到】", forwarded=[ForwardedHeader("tskxpjb@126.com", "", "")])
    assert identify(envelope, [], REGISTRY, INDEX, OWN | ADMINS).how == "address"


# --- what may replace what (issue 9 point 3, issue 10 point 2) ------------------------------------

def row(key, day, standing="own", lst=True, narr=False, outcome="accepted"):
    return MessageRow(**{"key": key, "received_at": f"2025-09-{day:02d}T10:00:00+08:00", "state": "done", "outcome": outcome,
            "kind": "submission", "unit_id": "fengnan", "carries_list": lst, "carries_narrative": narr,
            "reason": "", "last_error": None, "late": False, "standing": standing})


def statuses(rows):
    return {k: v.status for k, v in message_statuses(rows).items()}


@pytest.mark.parametrize("standing", ["unverified", "forward"])
def test_another_address_never_replaces_the_units_own_list(standing):
    rows = [row("own", 10, narr=True), row("other", 12, standing)]
    assert statuses(rows) == {"own": "accepted", "other": "needs_review"}
    assert current_list_keys(rows, message_statuses(rows)) == {"fengnan": "own"}
    assert "review assign" in message_statuses(rows)["other"].reason


def test_another_address_is_accepted_while_the_unit_has_nothing_and_then_replaced_by_its_own():
    assert statuses([row("other", 10, "unverified")]) == {"other": "accepted"}
    rows = [row("other", 10, "unverified"), row("own", 12)]
    assert statuses(rows) == {"other": "superseded", "own": "accepted"}


def test_rows_without_standing_count_as_own():
    """Ledgers from before ``standing`` was kept hold NULL there: such a message counts as the unit's own."""
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    db.execute(_statements(BASE)[0])
    for k, d in (("a", 10), ("b", 12)):
        db.execute("INSERT INTO messages(key, sha256, first_seen_at, state, outcome, kind, unit_id, received_at,"
                   " carries_list, late, standing) VALUES (?, '', '', 'done', 'accepted', 'submission', 'fengnan', ?,"
                   " 1, 0, NULL)", (k, f"2025-09-{d:02d}T10:00:00+08:00"))
    rows = [MessageRow.from_sql(r) for r in db.execute("SELECT * FROM messages")]
    assert {r.standing for r in rows} == {"own"}
    assert statuses(rows) == {"a": "superseded", "b": "accepted"}


# --- decide: strangers, and whom we answer (issue 9 point 5, issue 10 point 1) --------------------

@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cfg")
    (folder / "units.csv").write_text("unit_id,name,category,aliases,emails\n"
                                      "fengnan,唐山市丰南区科学技术协会,county,丰南区科协,fnkx@163.com\n", encoding="utf-8")
    (folder / "config.yaml").write_text("campaign: {units: units.csv}\nadmins: [admin@example.org]\n"
                                        "smtp: {outdir: sent, from: tskxpjb@126.com}\nmailbox: {maildir: in}\n",
                                        encoding="utf-8")
    config = load_config(folder / "config.yaml")
    from pipeline.campaign.registry import load_registry
    return Context.build(config, load_registry(config.campaign.units))


WHEN = datetime(2025, 9, 15, 10, tzinfo=timezone(timedelta(hours=8)))


def test_vendor_brochure_from_a_stranger_is_ignored(ctx):
    envelope = env(from_addr="peixun@kepu-edu.com.cn", subject="关于举办科普讲解员培训班的通知", text="详见附件。",
                   attachments=[Attachment("培训班通知.docx", "application/octet-stream", b"")])
    content = MailContent(envelope, [FileResult("培训班通知.docx", "docx", "parsed", title="培训班通知")])
    result = decide(content, ctx, WHEN)
    assert (result.outcome, result.kind) == ("ignored", "unrelated") and not result.reply_allowed


def test_stranger_about_the_summaries_still_needs_review(ctx):
    envelope = env(from_addr="x@qq.com", subject="石家庄市某区科普月活动总结", attachments=[att()])
    result = decide(MailContent(envelope, [FileResult("活动表.xlsx", "xlsx", "parsed")]), ctx, WHEN)
    assert result.outcome == "needs_review"


def test_acknowledgment_goes_to_from_never_to_reply_to(ctx):
    envelope = env(from_addr="x@qq.com", reply_to="victim@example.net", subject="丰南区科协科普月活动总结",
                   attachments=[att()])
    result = decide(MailContent(envelope, [FileResult("活动表.xlsx", "xlsx", "parsed")]), ctx, WHEN)
    assert result.reply_to == "x@qq.com" and result.standing == "unverified" and result.unit_id == "fengnan"


def test_a_reply_quoting_a_colleague_stays_the_senders():
    envelope = env(from_addr="fnkx@163.com", subject="Re: 活动统计表", attachments=[att()],
                   forwarded=[ForwardedHeader("colleague@qq.com", "张三", "活动统计表")])
    assert identify(envelope, [], REGISTRY, INDEX, OWN | ADMINS).unit_id == "fengnan"


def test_a_township_named_after_its_county_is_not_the_county():
    assert INDEX.find("丰南区黄各庄镇科协2025年全国科普月活动总结") == set()
    assert INDEX.find("丰南区各乡镇科协开展科普活动") == {"fengnan"}
    assert INDEX.find("丰南区科协2025年全国科普月活动总结") == {"fengnan"}
