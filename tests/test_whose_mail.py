"""Whose mail, and is it a submission (issue 16 points 1-4, 9): real-client mail (tests/whosemail.py) through
Dovecot and ``poll``, against outcomes written by hand; and the rules on pure functions."""
from __future__ import annotations

import os
from datetime import date

import clientmail
import pytest
import whosemail
from servers import SmtpSink, new_account

from parsers.parsed import Envelope, FileResult, ForwardedHeader
from pipeline.campaign.registry import Registry, Unit
from pipeline.judge.classify import classify
from pipeline.judge.events import campaign_key, judge_event
from pipeline.judge.identify import NameIndex, identify
from pipeline.judge.parts import split_by_unit


@pytest.fixture(scope="module")
def built():
    try:
        return whosemail.build()
    except clientmail.ClientMissing as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"real-client fixtures need the clients: {exc}")
        pytest.skip(f"real-client fixtures need the clients: {exc}")


@pytest.fixture(scope="module")
def outcome(built, dovecot, tmp_path_factory):
    sink = SmtpSink().start()
    try:
        return clientmail.run_set(built, new_account(dovecot.start()), sink, tmp_path_factory.mktemp("whose"))
    finally:
        sink.stop()


def test_each_mail_has_the_hand_written_outcome(built, outcome):
    data, sent = outcome
    result = clientmail.score(built, data, sent)
    assert not result.failures, "\n".join(result.failures)


def test_each_unit_counts_the_files_that_name_it(built, outcome):
    data, _ = outcome
    ids = built.message_ids()
    for unit_id, (count, label) in whosemail.UNIT_ACTIVITIES.items():
        mine = [a for a in data["activities"] if a["unit_id"] == unit_id]
        assert len(mine) == count and {a["message_id"] for a in mine} == {ids[label]}, unit_id
        assert next(u for u in data["units"] if u["unit_id"] == unit_id)["reported"] == count, unit_id
    two = next(m for m in data["messages"] if m["message_id"] == ids["county_and_township"])
    assert [(p["unit_id"], p["activities"], p["status"]) for p in two["parts"]] == [
        ("fengnan", 12, "accepted"), ("hgz", 2, "accepted")]
    assert {a["title"][:4] for a in data["activities"] if a["unit_id"] == "hgz"} == {"黄各庄镇"}


def test_the_acknowledgment_says_which_unit_got_which_file(built, outcome):
    _, sent = outcome
    [ack] = [m for m in sent if m["In-Reply-To"] == built.message_ids()["county_and_township"]]
    text = ack.get_body(("plain",)).get_content()
    assert "本邮件含有 2 个单位的材料" in text
    assert "丰南区黄各庄镇科协：黄各庄镇科协科普活动统计表.xlsx，读出活动 2 项" in text
    [unsure] = [m for m in sent if m["In-Reply-To"] == built.message_ids()["shared_clerk_unsure"]]
    assert "请各单位分别发送" in unsure.get_body(("plain",)).get_content()


def test_a_missing_file_is_asked_for_and_other_events_are_named(built, outcome):
    data, sent = outcome
    ids = built.message_ids()
    [ack] = [m for m in sent if m["In-Reply-To"] == ids["notice_reply_without_file"]]
    assert "邮件中没有附件" in ack.get_body(("plain",)).get_content()
    reasons = {m["message_id"]: m["reason"] for m in data["messages"]}
    assert reasons[ids["other_event_week"]] == "不是科普月总结（关于科技活动周），不作为报送材料"
    assert "科普讲解大赛" in reasons[ids["other_event_contest"]]
    assert "转发本单位人员的邮件" not in reasons[ids["own_forward_attached"]]


# --- the rules, on pure functions -----------------------------------------------------------------

REGISTRY = Registry([
    Unit("fengnan", "唐山市丰南区科学技术协会", "county", ("丰南区科协",), ("fnkx@163.com",)),
    Unit("hgz", "丰南区黄各庄镇科协", "base", ("黄各庄镇科协",), ("hgzkx@163.com",)),
    Unit("kjg", "唐山市科技馆", "base", (), ("tskjg@126.com",)),
    Unit("yixue", "唐山市医学会", "society", (), ()),
    Unit("yaoxue", "唐山市药学会", "society", (), ()),
])
INDEX = NameIndex.build(REGISTRY)
OFFICE = {"tskxpjb@126.com", "admin@example.org"}
PERIOD = (date(2025, 9, 1), date(2025, 9, 30))


def env(**kw) -> Envelope:
    return Envelope(**{"message_id": "<m@x>", "subject": "", "from_addr": "x@qq.com", "from_name": "", **kw})


def test_campaign_key():
    assert campaign_key("2025年全国科普月") == "科普月"


@pytest.mark.parametrize("subject, titles, expected", [
    ("唐山市科技馆2025年科技活动周工作总结", ["科技活动周工作总结"], "科技活动周"),
    ("关于报送科普讲解大赛报名表", ["报名表.xlsx"], "科普讲解大赛"),
    ("唐山市科技馆2025年全国科普月活动总结", ["科普月总结，延续科技活动周展览"], None),
    ("科技活动周和科普月总结", [], None),  # names the campaign too
    ("活动总结", ["总结.docx"], None),  # names nothing: the campaign's by default
])
def test_other_events_by_subject_and_titles(subject, titles, expected):
    files = [FileResult(t, "docx", "parsed", title=t) for t in titles]
    verdict = judge_event(env(subject=subject), files, [], "2025年全国科普月", PERIOD)
    assert (verdict.event if verdict else None) == expected


def test_a_body_mentioning_another_event_is_not_read_for_it():
    verdict = judge_event(env(subject="科普月总结", text="科技活动周期间我们也开展了活动"), [], [], "2025年全国科普月", PERIOD)
    assert verdict is None


def test_own_forward_with_a_file_naming_nobody_is_the_forwarders():
    envelope = env(from_addr="tskjg@126.com", subject="转发：活动统计表", text="转发。",
                   forwarded=[ForwardedHeader("wangqiang@163.com", "王强", "活动统计表")])
    files = [FileResult("活动统计表.xlsx", "xlsx", "parsed")]
    result = identify(envelope, files, REGISTRY, INDEX, OFFICE)
    assert (result.unit_id, result.how) == ("kjg", "forwarder_own")


def test_forward_of_an_organisations_mail_is_not_the_forwarders():
    envelope = env(from_addr="tskjg@126.com", subject="转发：活动统计表", text="转发。",
                   forwarded=[ForwardedHeader("kx@qq.com", "某某中学科协", "活动统计表")])
    result = identify(envelope, [FileResult("活动统计表.xlsx", "xlsx", "parsed")], REGISTRY, INDEX, OFFICE)
    assert result.unit_id is None and result.how == "forward_unknown"


@pytest.mark.parametrize("subject, text, kind", [
    ("Re: 关于报送科普月活动总结的通知", "附件是我单位的总结，请查收。", "submission"),
    ("Re: 关于报送科普月活动总结的通知", "收到，谢谢！", "ack_reply"),
    ("回复：【已收到】丰南区：总结", "修改后的表见附件", "submission"),
    ("回复：【已收到】丰南区：总结", "好的，收到", "ack_reply"),
])
def test_only_short_replies_without_a_claimed_file_are_ignored(subject, text, kind):
    quoted = [ForwardedHeader("tskxpjb@126.com", "唐山市素质办", "通知")]
    assert classify(env(subject=subject, text=text, forwarded=quoted), {"tskxpjb@126.com"}, set(),
                    "summary-mailbox").kind == kind


def test_title_outweighs_a_county_in_the_body_and_signature():
    files = [FileResult("总结.docx", "docx", "parsed", title="唐山市科技馆2025年全国科普月活动总结",
                        text="我馆联合丰南区科协在丰南区开展活动")]
    envelope = env(subject="科普月总结", text="附件是总结。\n李华\n地址：唐山市丰南区光明路")
    result = identify(envelope, files, REGISTRY, INDEX, OFFICE)
    assert result.unit_id == "kjg" and "fengnan" in result.candidates


def test_two_units_files_split_and_unsure_goes_to_a_person():
    county = identify(env(from_addr="fnkx@163.com", subject="丰南区科协总结"), [], REGISTRY, INDEX, OFFICE)
    files = [FileResult("丰南区科协总结.docx", "docx", "parsed", text="x" * 60),
             FileResult("黄各庄镇科协统计表.xlsx", "xlsx", "parsed", text="x" * 60)]
    assert split_by_unit(files, county, INDEX).groups == {"fengnan": [0], "hgz": [1]}
    both = [FileResult("医学会、药学会活动统计表.xlsx", "xlsx", "parsed", text="x" * 60)]
    assert split_by_unit(files + both, county, INDEX).unsure == ["fengnan", "hgz", "yaoxue", "yixue"]
    partner = [FileResult("唐山市科技馆送科普进丰南活动方案.docx", "docx", "parsed", text="x" * 60)]
    assert split_by_unit(partner, county, INDEX) is None  # names a partner, is no submission of it
