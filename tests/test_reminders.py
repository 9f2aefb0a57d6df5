"""Reminders before the deadline, against the real servers: one per unit per reminder day, also across
`serve` restarts; none after the unit submits; a shortfall note once; listed in the digest."""
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from admin_helpers import export, load, write_config

from pipeline.config import load_config
from pipeline.runtime.app import Pipeline
from pipeline.runtime.worker import serve
from run import main
from samples import generate

UTC = timezone.utc
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def sample():
    return generate(seed=11)


def _reminders(sink, start=0):
    return [r for r in sink.messages[start:] if (r.parsed()["Subject"] or "").startswith("【提醒】")]


def _run(config, when):
    with Pipeline(config) as pipeline:
        assert serve(pipeline, max_cycles=1, now=lambda: when, tick=0) == 0


def test_reminders_once_per_unit_per_day_across_restarts(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    first_cut = datetime(2025, 9, 23, 9, 0, tzinfo=TZ)
    second_cut = datetime(2025, 9, 25, 8, 0, tzinfo=TZ)
    load(imap_account, [m for m in sample.mails if m.received < first_cut])
    path = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch, reminders={"days_before": [3, 1]})
    config = load_config(path)
    by_name = {u.name: u for u in sample.units}

    # D-3, 09:00 in Shanghai: the worker starts, polls, reminds and sends the digest
    _run(config, datetime(2025, 9, 23, 1, 0, tzinfo=UTC))
    data = export(path, tmp_path, "d3.json")
    missing = {u["unit_id"] for u in data["units"] if not u["submitted"]}
    short = {u["unit_id"] for u in data["units"] if u["submitted"] and not u["met"]}
    with_address = {u.unit_id for u in sample.units if u.emails}
    assert missing and short
    got = _reminders(smtp_sink)
    per_unit = Counter()
    for r in got:
        subject = r.parsed()["Subject"]
        unit = next(u for name, u in by_name.items() if name in subject)
        per_unit[unit.unit_id] += 1
        assert sorted(r.rcpt_tos) == sorted(unit.emails)
        assert r.parsed()["Auto-Submitted"] == "auto-generated"
        body = r.parsed().get_body(("plain",)).get_content()
        assert ("尚未收到贵单位的活动总结" in body) == (unit.unit_id in missing)
        if unit.unit_id in short:
            assert "尚差" in body
    assert set(per_unit) == (missing | short) & with_address and set(per_unit.values()) == {1}
    digest = [r for r in smtp_sink.messages if "每日汇总" in r.parsed()["Subject"]]
    assert len(digest) == 1
    assert f"已发提醒（{len(got)}）" in digest[0].parsed().get_body(("plain",)).get_content()

    # a restart the same day, and the command by hand: nothing twice
    sent = len(smtp_sink.messages)
    _run(config, datetime(2025, 9, 23, 6, 0, tzinfo=UTC))
    assert main(["--config", str(path), "remind", "--date", "2025-09-23"]) == 0
    assert len(smtp_sink.messages) == sent

    # mail keeps coming; D-2 is no reminder day
    load(imap_account, [m for m in sample.mails if first_cut <= m.received < second_cut])
    _run(config, datetime(2025, 9, 24, 1, 0, tzinfo=UTC))
    assert _reminders(smtp_sink, sent) == []

    # D-1: still-missing units once more, none to those that submitted meanwhile, no second shortfall note
    sent = len(smtp_sink.messages)
    _run(config, datetime(2025, 9, 25, 1, 0, tzinfo=UTC))
    _run(config, datetime(2025, 9, 25, 2, 0, tzinfo=UTC))  # and a restart
    data = export(path, tmp_path, "d1.json")
    still_missing = {u["unit_id"] for u in data["units"] if not u["submitted"]}
    assert still_missing < missing  # some units submitted between the two reminder days
    again = Counter()
    notes = Counter()
    for r in _reminders(smtp_sink, sent):
        unit = next(u.unit_id for name, u in by_name.items() if name in r.parsed()["Subject"])
        body = r.parsed().get_body(("plain",)).get_content()
        (again if "尚未收到贵单位的活动总结" in body else notes)[unit] += 1
    assert set(again) == still_missing & with_address and set(again.values()) == {1}
    assert not set(notes) & short  # a shortfall note goes once, whatever the day
    assert set(notes.values()) <= {1}


def test_a_reminder_not_yet_sent_is_withdrawn_when_the_unit_submits(tmp_path):
    """The sending limit held a reminder back; meanwhile the unit's summary arrived: it must not go out."""
    from pipeline.campaign.registry import Registry, Unit
    from pipeline.ledger.records import MessageResult, Outgoing
    from pipeline.ledger.store import Store
    from pipeline.outbound.reminders import reminders_between

    store = Store(tmp_path / "ledger.sqlite3")
    for unit in ("lu_nan", "luxnan"):  # "_" must not act as a LIKE wildcard
        store.enqueue(Outgoing("reminder", f"reminder:{unit}:2025-09-23", [f"{unit}@126.com"], "提醒", b"x"))
    store.enqueue(Outgoing("reminder", "shortfall:lu_nan:2025-09-23", ["lu_nan@126.com"], "提醒", b"x"))
    result = MessageResult(outcome="accepted", reason="", kind="submission", message_id="<m@x>",
                           sender="lu_nan@126.com", sender_name="", subject="总结",
                           received_at=datetime(2025, 9, 23, 10, tzinfo=timezone.utc), late=False, unit_id="lu_nan")
    store.commit_message("<m@x>", result, None)
    states = {r.dedupe: r.state for r in store.outbox()}
    assert states == {"reminder:lu_nan:2025-09-23": "withdrawn", "reminder:luxnan:2025-09-23": "pending",
                      "shortfall:lu_nan:2025-09-23": "pending"}
    registry = Registry([Unit("lu_nan", "路南区", "county"), Unit("luxnan", "路北区", "county")])
    day = datetime(2025, 9, 23).date()
    listed = {r["unit"]: r["state"] for r in reminders_between(store, registry, day, day) if r["kind"] == "未报送提醒"}
    assert listed == {"路南区": "已撤回（单位已报送）", "路北区": "待发送"}
