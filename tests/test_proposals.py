"""Proposals, not facts: a prose-only Word report (written by LibreOffice from HTML) read through the real
servers becomes needs_review with proposed_activities; `review confirm` makes them the unit's activities,
audited, and they survive a reingest. Expected rows are written by hand."""
import json
import sqlite3
from datetime import date
from html import escape
from types import SimpleNamespace

import lobuild as lo
import pytest
from admin_helpers import export, write_config
from conftest import missing_tool
from mailbuild import b_word, file_part, mail, multipart, text_part
from test_prose import DISTRICT

from parsers.read_file import extract_file
from parsers.values import normalize_activity
from pipeline.ledger.schema import LATEST
from pipeline.ledger.store import Store
from run import main

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
UNIT = SimpleNamespace(unit_id="lunan", name="路南区科协", email="lunan@example.cn")
STRANGER = "someone@163.com"
# the district report of test_prose, as the office would have it: 3 activities, quota 3 (category member)
EXPECTED = [
    {"title": "科普进社区活动", "start_date": "2025-09-15", "end_date": "2025-09-15", "location": "友谊街道社区",
     "participants": 300, "format": "offline"},
    {"title": "青少年科技创新大赛", "start_date": "2025-09-18", "end_date": "2025-09-19",
     "location": "区青少年活动中心", "participants": 1200, "format": "offline"},
    {"title": "健康科普大讲堂", "start_date": "2025-09-23", "end_date": "2025-09-23", "location": "学院路街道",
     "participants": 2150, "format": "hybrid"},
]
FIELDS = list(EXPECTED[0])


def _html(text: str) -> bytes:
    lines = text.splitlines()
    body = f"<h1>{escape(lines[0])}</h1>" + "".join(f"<p>{escape(line)}</p>" for line in lines[1:])
    return f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>'.encode()


@pytest.fixture(scope="module")
def report_docx() -> bytes:
    if not lo.available():
        missing_tool("LibreOffice (soffice) is missing: apt-get install libreoffice-writer-nogui")
    return lo.convert({"总结.html": _html(DISTRICT)}, "docx", lo.IMPORT_HTML["writer"])["总结.html"]


@pytest.fixture(scope="module")
def nameless_docx() -> bytes:
    """The same report with the unit's name taken out: whose it is, a person must say."""
    lines = [line for line in DISTRICT.splitlines() if "路南" not in line]
    return lo.convert({"无名.html": _html("科普月活动总结\n" + "\n".join(lines))}, "docx",
                      lo.IMPORT_HTML["writer"])["无名.html"]


def _mail(docx: bytes, sender: str, message_id: str, unit: str = "路南区科协") -> bytes:
    body = multipart("mixed", [text_part("您好，附件是我单位科普月活动总结，请查收。"),
                               file_part(docx, DOCX, f'attachment; filename="{b_word(unit + "科普月活动总结.docx")}"')])
    return mail(body, subject=b_word(f"{unit}2025年全国科普月活动总结"), from_=f"{b_word(unit or '张三')} <{sender}>",
                to="tskxpjb@126.com", message_id=message_id, date="Mon, 22 Sep 2025 10:00:00 +0800")


def _registry() -> SimpleNamespace:
    csv = f"unit_id,name,category,aliases,emails\n{UNIT.unit_id},{UNIT.name},member,路南科协,{UNIT.email}\n"
    return SimpleNamespace(units_csv=lambda: csv, mailbox_addr="tskxpjb@126.com", admin_addrs=["admin@example.org"])


def _message(data: dict, message_id: str) -> dict:
    return next(m for m in data["messages"] if m["message_id"] == message_id)


def _as_expected(rows) -> list[dict]:
    return [{f: (getattr(a, f).isoformat() if f.endswith("_date") else getattr(a, f)) for f in FIELDS}
            for a in (normalize_activity(r, 2025) for r in rows)]


def test_a_word_report_made_by_libreoffice_proposes_its_activities(report_docx):
    [result] = extract_file("总结.docx", report_docx, DOCX)
    assert result.status == "parsed" and result.activities == []
    assert _as_expected(result.proposed) == EXPECTED
    assert result.proposed[0].source == "总结.docx 正文第二部分第（一）段"
    assert "友谊街道社区" in result.proposed[0].evidence


@pytest.mark.parametrize("target", ["doc", "pdf"])
def test_the_same_report_as_old_word_and_as_a_pdf_with_text(target, report_docx):
    """LibreOffice saves the report as .doc (read through its .docx conversion) and prints it to PDF (its text
    layer, lines broken at the page width): the same rows."""
    made = lo.convert({"总结.html": _html(DISTRICT)}, target, lo.IMPORT_HTML["writer"])["总结.html"]
    [result] = extract_file(f"总结.{target}", made)
    assert result.status == "parsed" and not result.is_scan
    assert _as_expected(result.proposed) == EXPECTED


def test_prose_is_proposed_confirmed_counted_and_kept_across_a_reingest(report_docx, nameless_docx, imap_account,
                                                                         smtp_sink, tmp_path, monkeypatch, capsys):
    bare = mail(text_part("附件是我单位科普月活动总结，请查收。"), subject=b_word("路南区科协科普月总结"),
                from_=UNIT.email, message_id="<bare-3@lunan.cn>", date="Tue, 23 Sep 2025 09:00:00 +0800")
    imap_account.append_many([_mail(report_docx, UNIT.email, "<prose-1@lunan.cn>"),
                              _mail(nameless_docx, STRANGER, "<prose-2@163.com>", unit=""), bare])
    config = write_config(tmp_path, imap_account, smtp_sink, _registry(), monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0

    # needs_review, the rows listed under the message; nothing counted yet
    before = export(config, tmp_path, "before.json")
    message = _message(before, "<prose-1@lunan.cn>")
    assert message["status"] == "needs_review" and message["reason"] == "从正文中读出3项活动，待人工确认"
    proposed = message["proposed_activities"]
    assert [{f: p[f] for f in FIELDS} for p in proposed] == EXPECTED
    assert [p["source"] for p in proposed][1] == "路南区科协科普月活动总结.docx 正文第二部分第（二）段"
    assert all(0 < p["confidence"] <= 1 for p in proposed)
    nameless = _message(before, "<prose-2@163.com>")
    assert nameless["unit_id"] is None and "另从正文中读出3项活动，待人工确认" in nameless["reason"]
    assert before["activities"] == []
    assert before["units"][0]["reported"] == 0 and before["units"][0]["met"] is False
    # the same rows in the CSV and the workbook, for the clerk who works in Excel
    assert main(["--config", str(config), "export", "--format", "csv", "--out", str(tmp_path / "d.csv")]) == 0
    lines = (tmp_path / "d.proposed.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 6 and "健康科普大讲堂" in lines[3]  # both mails: 3 rows each
    assert main(["--config", str(config), "export", "--format", "xlsx", "--out", str(tmp_path / "d.xlsx")]) == 0
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(tmp_path / "d.xlsx")).get_sheet_by_name("待确认活动").to_python()
    assert sheet[0][:3] == ["单位名称", "行号", "活动名称"] and sheet[1][0] == UNIT.name and sheet[1][2] == "科普进社区活动"

    # the unit hears what was read and that a person will check it; no table is asked for
    acks = smtp_sink.wait_for(3)
    ack = next(a for a in acks if a.parsed()["In-Reply-To"] == "<prose-1@lunan.cn>")
    body = ack.parsed().get_body(("plain",)).get_content()
    assert "【从正文读出的活动】您的材料中没有活动明细表，系统从正文中读出以下 3 项活动，将由工作人员核对后计入" in body
    assert "青少年科技创新大赛（9月18日—9月19日），1200人" in body
    assert "未找到活动明细表" not in body

    # refusals: one line, exit 2
    capsys.readouterr()
    assert main(["--config", str(config), "review", "confirm", "<prose-2@163.com>"]) == 2
    assert "review assign" in capsys.readouterr().err
    assert main(["--config", str(config), "review", "confirm", "<prose-1@lunan.cn>", "--set", "9.title=x"]) == 2
    assert "no row 9" in capsys.readouterr().err
    assert main(["--config", str(config), "review", "confirm", "<bare-3@lunan.cn>"]) == 2
    err = capsys.readouterr().err
    assert "nothing to confirm" in err and len(err.strip().splitlines()) == 1
    # 不计入: the stranger's rows count nowhere, the message keeps its question (whose is it?)
    assert main(["--config", str(config), "review", "reject", "<prose-2@163.com>", "--reason", "重复报送"]) == 0

    # confirm, correcting one cell: the unit's activities, quota met, on record
    assert main(["--config", str(config), "review", "confirm", "<prose-1@lunan.cn>",
                 "--set", "3.participants=250"]) == 0
    assert "3 activities confirmed for 路南区科协" in capsys.readouterr().out
    after = export(config, tmp_path, "after.json")
    assert _message(after, "<prose-1@lunan.cn>")["status"] == "accepted"
    assert "proposed_activities" not in _message(after, "<prose-1@lunan.cn>")
    rejected = _message(after, "<prose-2@163.com>")
    assert rejected["status"] == "needs_review" and "proposed_activities" not in rejected
    assert "不计入（重复报送）" in rejected["reason"]
    want = [dict(e, unit_id=UNIT.unit_id) for e in EXPECTED]
    want[2]["participants"] = 250
    assert [{f: a[f] for f in FIELDS + ["unit_id"]} for a in after["activities"]] == want
    assert after["units"][0]["reported"] == 3 and after["units"][0]["met"] is True
    with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
        audit = db.execute("SELECT action, target, detail, ok FROM audit").fetchall()
    assert ("confirm_proposals", "<prose-1@lunan.cn>") == audit[-1][:2] and audit[-1][3] == 1
    assert "3.participants=250" in audit[-1][2]

    # a reingest reads the mail again: the person's rows stay, nothing is sent twice
    sent = len(smtp_sink.messages)
    assert main(["--config", str(config), "reingest", "--since", "2025-09-01", "--until", "2025-09-30",
                 "--from-archive"]) == 0
    again = export(config, tmp_path, "again.json")
    assert again["activities"] == after["activities"] and again["units"] == after["units"]
    assert len(smtp_sink.messages) == sent


def test_reject_counts_none_and_an_old_ledger_opens(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # a ledger from before proposals: messages only, user_version 0
        db.execute("CREATE TABLE messages (key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, message_id TEXT,"
                   " arrival_at TEXT, first_seen_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',"
                   " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, outcome TEXT, kind TEXT, reason TEXT,"
                   " unit_id TEXT, candidates TEXT, sender TEXT, sender_name TEXT, subject TEXT, received_at TEXT,"
                   " late INTEGER, carries_list INTEGER, carries_narrative INTEGER, narrative TEXT, fixes TEXT,"
                   " notes TEXT, excerpt TEXT, processed_at TEXT)")
        db.execute("INSERT INTO messages(key, sha256, first_seen_at, state, outcome, kind, reason, unit_id)"
                   " VALUES ('<a@x>', '', '2025-09-20', 'done', 'needs_review', 'submission', '从正文中读出1项活动，待人工确认',"
                   " 'u1')")
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == LATEST
    store.db.execute("INSERT INTO proposals(key, seq, title, start_date) VALUES ('<a@x>', 0, '讲座', '2025-09-15')")
    store.reject_proposals("<a@x>", "重复报送")
    [row] = store.messages()
    assert row.outcome == "needs_review" and "不计入（重复报送）" in (row.reason or "")
    assert store.activities() == [] and store.activity_counts().get("<a@x>", 0) == 0
    store.confirm_proposals("<a@x>", "u1", [{"title": "讲座", "start_date": "2025-09-15", "raw": json.dumps({})}])
    [row] = store.messages()
    assert row.outcome == "accepted" and row.carries_list is True
    assert [a["title"] for a in store.activities(["<a@x>"])] == ["讲座"] and store.activity_counts()["<a@x>"] == 1
    store.close()


def test_year_of_confirmed_dates(tmp_path):
    """--set reads dates the way table cells are read."""
    from pipeline.admin.review import ReviewError, parse_edits

    assert parse_edits(["1.date=9月16日至17日"], 1, 2025) == {(1, "date"): {"start_date": "2025-09-16",
                                                                             "end_date": "2025-09-17"}}
    assert parse_edits(["1.participants=约500人"], 1, 2025)[(1, "participants")]["participants"] == 500
    assert parse_edits(["1.format=线上"], 1, 2025) == {(1, "format"): {"format": "online"}}
    for bad in ("1.date=下周", "1.colour=red", "x", "1.participants=很多"):
        with pytest.raises(ReviewError):
            parse_edits([bad], 1, 2025)
    assert date(2025, 9, 16)  # the campaign year comes from campaign.period


# --- decide: what a message with proposals concludes (pure) ------------------------------------------

@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    from pipeline.campaign.registry import load_registry
    from pipeline.config import load_config
    from pipeline.judge.decide import Context

    folder = tmp_path_factory.mktemp("cfg")
    (folder / "units.csv").write_text(_registry().units_csv(), encoding="utf-8")
    (folder / "config.yaml").write_text("campaign: {units: units.csv}\nadmins: [admin@example.org]\n"
                                        "smtp: {outdir: sent, from: tskxpjb@126.com}\nmailbox: {maildir: in}\n",
                                        encoding="utf-8")
    config = load_config(folder / "config.yaml")
    return Context.build(config, load_registry(config.campaign.units))


def _decided(ctx, files, body_proposed=()):
    from datetime import datetime, timedelta, timezone

    from parsers.parsed import Envelope
    from parsers.read_mail import MailContent, files_to_activities
    from pipeline.judge.decide import decide

    envelope = Envelope(message_id="<d@x>", subject="路南区科协科普月活动总结", from_addr=UNIT.email, from_name="")
    content = MailContent(envelope, files, files_to_activities(files, 2025), body_proposed=list(body_proposed))
    return decide(content, ctx, datetime(2025, 9, 20, 10, tzinfo=timezone(timedelta(hours=8))))


def _scan_row(title: str, day: int):
    from parsers.parsed import RawActivity

    return RawActivity({"title": title, "date": f"9月{day}日", "participants": "120人"}, source="扫描件第1页第3行",
                       confidence=0.7, evidence=f"{title} 9月{day}日 120人")


def test_rows_from_a_scan_are_proposed_and_the_unit_is_not_asked_for_a_table(ctx):
    from parsers.parsed import FileResult
    from pipeline.judge.decide import NO_TABLE_FIX, SCAN_FIX

    scan = FileResult("盖章版.pdf", "pdf", "parsed", is_scan=True, proposed=[_scan_row("科普讲座", 15)])
    result = _decided(ctx, [scan])
    assert (result.outcome, result.reason) == ("needs_review", "从扫描件中读出1项活动，待人工确认")
    assert [(p.activity.title, p.activity.participants, p.confidence) for p in result.proposed] == \
        [("科普讲座", 120, 0.7)]
    assert SCAN_FIX not in result.fixes and NO_TABLE_FIX not in result.fixes and not result.carries_list


def test_a_table_wins_a_stamped_copy_proposes_nothing_and_the_same_row_counts_once(ctx):
    from parsers.parsed import FileResult, RawActivity

    table_row = RawActivity({"title": "科普讲座", "date": "9月15日"}, source="表.xlsx!Sheet1!R2")
    with_table = _decided(ctx, [FileResult("表.xlsx", "xlsx", "parsed", activities=[table_row]),
                                FileResult("总结.docx", "docx", "parsed", proposed=[_scan_row("科普展览", 16)])])
    assert with_table.outcome == "accepted" and with_table.proposed == []
    copy = FileResult("总结（盖章版）.pdf", "pdf", "parsed", is_scan=True, copy_of="总结.docx",
                      proposed=[_scan_row("科普展览", 17)])
    word = FileResult("总结.docx", "docx", "parsed", proposed=[_scan_row("科普展览", 16)])
    result = _decided(ctx, [word, copy], body_proposed=[_scan_row("科普展览", 16)])
    assert [p.activity.start_date.day for p in result.proposed] == [16]
    assert result.reason == "从正文中读出1项活动，待人工确认"


def test_a_row_dated_in_another_year_is_no_proposal(ctx):
    """As in the corpus's tender notice: "2021年8月4日发布的《…项目》" reads like an activity, in another year."""
    from parsers.parsed import RawActivity

    old = RawActivity({"title": "农贸市场经营管理权项目", "date": "2021年8月4日"}, source="正文第1段", confidence=0.6)
    result = _decided(ctx, [], body_proposed=[old, _scan_row("科普讲座", 15)])
    assert [p.activity.title for p in result.proposed] == ["科普讲座"]
