"""The real-client fixture set (tests/clientmail.py): mail composed by mutt, s-nail and swaks with
tables LibreOffice wrote, through Dovecot and ``poll``, against outcomes written by hand: whose
submission each mail is, whether it is one at all, and whom we answer."""
from __future__ import annotations

import email
import email.policy
import shlex

import clientmail
import pytest
from conftest import missing_tool
from servers import SmtpSink, new_account

from pipeline.ledger.store import Store


@pytest.fixture(scope="module")
def built():
    try:
        return clientmail.build()
    except clientmail.ClientMissing as exc:
        missing_tool(f"real-client fixtures need the clients: {exc}")


@pytest.fixture(scope="module")
def outcome(built, dovecot, tmp_path_factory):
    """One poll over the whole set, shared by the tests below."""
    sink = SmtpSink().start()
    workdir = tmp_path_factory.mktemp("clients")
    try:
        data, sent = clientmail.run_set(built, new_account(dovecot.start()), sink, workdir)
    finally:
        sink.stop()
    return data, sent, workdir / "config.yaml"


def test_each_mail_has_the_hand_written_outcome(built, outcome):
    data, sent, _ = outcome
    result = clientmail.score(built, data, sent)
    assert not result.failures, "\n".join(result.failures)


def test_a_forward_never_replaces_the_forwarders_activities(built, outcome):
    data, _, _ = outcome
    ids = built.message_ids()
    county = [a for a in data["activities"] if a["unit_id"] == "fengnan"]
    assert len(county) == 12 and {a["message_id"] for a in county} == {ids["county_own"]}
    statuses = {m["message_id"]: m for m in data["messages"]}
    assert statuses[ids["county_own"]]["status"] == "accepted"
    assert "转发" in statuses[ids["county_forwards_inline"]]["reason"]


def test_stranger_with_twenty_reply_to_addresses_gets_at_most_two_answers_to_from(built, outcome):
    _, sent, _ = outcome
    answered = [m for m in sent if (m["In-Reply-To"] or "").strip() in
                {mid for label, mid in built.message_ids().items() if label.startswith("stranger")}]
    assert clientmail.stranger_acks(built, sent) == len(answered) <= 2
    assert all(m["To"] == clientmail.STRANGER and "http" not in m["Subject"] for m in answered)
    assert not [m for m in sent if "victim" in (m["To"] or "")]


def test_impersonated_unit_is_told_once(built, outcome):
    _, sent, _ = outcome
    notices = [m for m in sent if "【请留意】" in (m["Subject"] or "")]
    assert [m["To"] for m in notices] == ["fnkx@163.com"]
    body = notices[0].get_body(("plain",)).get_content()
    assert "fnkx2025@qq.com" in body and "未被这封邮件替换" in body
    [ack] = [m for m in sent if m["In-Reply-To"] == built.message_ids()["impersonation"]]
    text = ack.get_body(("plain",)).get_content()
    assert "本单位目前计入 12 项" in text and "不是贵单位登记的报送邮箱" in text


def test_held_impersonation_shows_in_digest_and_review_and_a_person_decides(built, outcome, tmp_path, capsys):
    """Runs last: it changes the ledger. The digest and `review list` show the held mail; only a
    person's `review assign` lets it replace the county's list."""
    from run import main

    _, _, config = outcome
    mid = built.message_ids()["impersonation"]
    assert main(["--config", str(config), "digest", "--dry-run"]) == 0
    [written] = (config.parent / "var" / "digests").glob("digest-*.eml")
    digest = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    text = digest.get_body(("plain",)).get_content()
    assert "待人工确认，未替换该单位原有数据" in text and "已通知该单位登记邮箱" in text
    capsys.readouterr()
    assert main(["--config", str(config), "review", "list"]) == 0
    assert f"review assign {shlex.quote(mid)} fengnan" in capsys.readouterr().out
    assert main(["--config", str(config), "reingest", "--since", "2025-09-01", "--until", "2025-09-30",
                 "--from-archive"]) == 0  # the sink is gone by now: sending is deferred, the command succeeds
    assert main(["--config", str(config), "review", "assign", mid, "fengnan"]) == 0
    store = Store(config.parent / "var" / "ledger.sqlite3")
    try:
        assert [r.kind for r in store.outbox()].count("notice") == 1  # never again on reingest or assign
    finally:
        store.close()
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(tmp_path / "x.json")]) == 0
    import json
    data = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    county = next(u for u in data["units"] if u["unit_id"] == "fengnan")
    assert county["reported"] == 3
    assert {m["message_id"]: m["status"] for m in data["messages"]}[mid] == "accepted"
