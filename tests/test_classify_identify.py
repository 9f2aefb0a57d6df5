"""Pure decisions: is it a submission, and whose is it."""
import pytest

from parsers.parsed import Attachment, Envelope, FileResult, ForwardedHeader
from pipeline.campaign.registry import Registry, Unit
from pipeline.judge.classify import classify
from pipeline.judge.identify import NameIndex, core_name, identify

OWN = {"tskxpjb@126.com"}
ADMINS = {"admin@example.org"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def env(**kw) -> Envelope:
    base = dict(message_id="<m@x>", subject="路南区科普月活动总结", from_addr="unit@126.com", from_name="")
    base.update(kw)
    return Envelope(**base)


def att(name="活动表.xlsx", ctype=XLSX):
    return Attachment(name, ctype, b"")


@pytest.mark.parametrize("envelope, kind", [
    (env(attachments=[att()]), "submission"),
    (env(headers={"auto-submitted": ["auto-replied"]}, subject="自动回复：您的邮件已收到"), "auto_reply"),
    (env(headers={"auto-submitted": ["no"]}, attachments=[att()]), "submission"),
    (env(subject="自动回复: 休假中"), "auto_reply"),
    (env(subject="Out of Office: back Monday"), "auto_reply"),
    (env(headers={"x-autoreply": ["yes"]}), "auto_reply"),
    (env(headers={"precedence": ["bulk"]}), "auto_reply"),
    (env(from_addr="mailer-daemon@126.com", subject="系统退信"), "bounce"),
    (env(content_type="multipart/report", subject="Undelivered Mail Returned to Sender"), "bounce"),
    (env(headers={"list-unsubscribe": ["<mailto:x@y>"]}, subject="本周新闻"), "list"),
    (env(subject="已读: 关于报送活动总结"), "receipt"),
    (env(from_addr="tskxpjb@126.com", subject="通知"), "own_mail"),
    (env(from_addr="admin@example.org", subject="转发：路南区总结", attachments=[att()],
         forwarded=[ForwardedHeader("lunan@126.com", "路南区科协", "总结")]), "submission"),
    (env(from_addr="admin@example.org", subject="明天开会"), "own_mail"),
    (env(subject="Re: 【已收到】路南区：总结", text="收到，谢谢",
         headers={"in-reply-to": ["<abc.summary-mailbox@126.com>"]}), "ack_reply"),
    (env(subject="咨询", text="请问总结可以延期到月底吗？"), "question"),
    (env(subject="路南区科普月活动总结", text="见附件"), "submission"),  # forgot the attachment
    (env(subject="发票", text="您好，本月发票已开具"), "unrelated"),
])
def test_classify(envelope, kind):
    assert classify(envelope, OWN, ADMINS, "summary-mailbox").kind == kind


def test_no_reply_to_noreply_addresses():
    verdict = classify(env(from_addr="noreply@qq.com", attachments=[att()]), OWN, ADMINS, "summary-mailbox")
    assert verdict.is_submission and not verdict.reply_allowed


REGISTRY = Registry([
    Unit("lunan", "路南区", "county", ("唐山市路南区", "路南区科协"), ("lunan@126.com",)),
    Unit("lubei", "路北区", "county", ("路北区科协",), ()),
    Unit("yxh", "唐山市医学会", "society", (), ()),
    Unit("zyyxh", "唐山市中医学会", "society", (), ()),
    Unit("jyj", "市教育局", "member", ("唐山市教育局",), ()),
])
INDEX = NameIndex.build(REGISTRY)


def test_core_names():
    assert core_name("唐山市路南区科协") == "路南区"
    assert core_name("路南区全民科学素质工作领导小组办公室") == "路南区"
    assert core_name("市教育局") == "教育局"


def test_registered_address_wins():
    result = identify(env(from_addr="lunan@126.com", subject="总结"), [], REGISTRY, INDEX, OWN | ADMINS)
    assert (result.unit_id, result.how) == ("lunan", "address")


def test_personal_address_resolved_from_title_and_filename():
    files = [FileResult("唐山市路北区科协科普月活动统计.xlsx", "xlsx", "parsed", title="路北区全国科普月活动总结")]
    result = identify(env(from_addr="12345678@qq.com", subject="总结"), files, REGISTRY, INDEX, OWN)
    assert (result.unit_id, result.how) == ("lubei", "content")


def test_longest_name_wins():
    result = identify(env(from_addr="x@qq.com", subject="唐山市中医学会科普月总结"), [], REGISTRY, INDEX, OWN)
    assert result.unit_id == "zyyxh"


def test_forward_from_office_uses_original_sender():
    envelope = env(from_addr="admin@example.org", subject="转发：总结",
                   forwarded=[ForwardedHeader("lunan@126.com", "", "总结")])
    assert identify(envelope, [], REGISTRY, INDEX, OWN | ADMINS).unit_id == "lunan"


def test_tie_is_ambiguous_with_candidates():
    result = identify(env(from_addr="x@qq.com", subject="路南区、路北区联合活动总结"), [], REGISTRY, INDEX, OWN)
    assert result.unit_id is None and result.how == "ambiguous"
    assert set(result.candidates) == {"lunan", "lubei"}


def test_unknown():
    result = identify(env(from_addr="x@qq.com", subject="活动总结"), [], REGISTRY, INDEX, OWN)
    assert (result.unit_id, result.how) == (None, "unknown")


def test_a_name_only_in_running_text_does_not_decide():
    files = [FileResult("总结.docx", "docx", "parsed", title="保定市竞秀区科协活动总结",
                        text="本区联合路北区科协开展了科普大篷车活动")]
    result = identify(env(from_addr="x@sina.com", subject="保定市竞秀区科协活动总结"), files, REGISTRY, INDEX, OWN)
    assert result.unit_id is None and result.candidates == ["lubei"]
