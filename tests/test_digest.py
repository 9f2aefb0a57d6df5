"""The admins' digest against the real servers: received at the admin address, counts that match the
exported dataset, the workbook attached and readable by pandas, the chart inline by Content-ID."""
import io
import re
from datetime import date
from email import message_from_bytes, policy
from email.utils import parseaddr

import pandas as pd
import pytest
from admin_helpers import export, load, write_config
from conftest import missing_tool
from openpyxl import load_workbook

from run import main
from samples import generate

SHEETS = ["汇总", "活动明细", "一般活动（不计入）", "邮件", "未报送单位", "未达标单位", "待人工核查", "待确认活动"]


@pytest.fixture(scope="module")
def sample():
    return generate(seed=11)


def _digest(sink):
    found = [r for r in sink.messages if "每日汇总" in (r.parsed()["Subject"] or "")]
    assert len(found) == 1, [r.parsed()["Subject"] for r in sink.messages][-3:]
    return found[0]


def test_digest_reaches_admins_with_matching_counts_workbook_and_chart(imap_account, smtp_sink, tmp_path, sample,
                                                                     monkeypatch):
    load(imap_account, sample.mails)
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0
    acks = len(smtp_sink.messages)
    assert main(["--config", str(config), "digest"]) == 0
    smtp_sink.wait_for(acks + 1)
    received = _digest(smtp_sink)
    assert sorted(received.rcpt_tos) == sorted(sample.admin_addrs)
    data = export(config, tmp_path)
    units, activities = data["units"], data["activities"]
    submitted = sum(u["submitted"] for u in units)
    review = [m for m in data["messages"] if m["status"] == "needs_review"]

    message = received.parsed()
    assert message["Auto-Submitted"] == "auto-generated"
    assert f"已报送 {submitted}/{len(units)}" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert f"已报送单位 {submitted}/{len(units)}" in text
    assert f"计入活动 {len(activities)} 项" in text
    assert f"参与 {sum(a['participants'] or 0 for a in activities)} 人次" in text
    assert f"待人工核查（{len(review)}）" in text
    assert f"未报送单位（{sum(not u['submitted'] for u in units)}）" in text
    for u in units:
        if not u["submitted"]:
            assert u["name"] in text
    county = [u for u in units if u["category"] == "county"]
    assert (f"县（市）区：报送 {sum(u['submitted'] for u in county)}/{len(county)}，达标 {sum(u['met'] for u in county)}，"
            f"活动 {sum(u['reported'] for u in county)}/{sum(u['required'] for u in county)}") in text
    questions = [m for m in sample.mails if m.truth.case == "question"]
    assert f"需要答复的来信（{len(questions)}）" in text
    for item in review:  # every review item carries a command that settles it
        assert item["message_id"] in text
    assert f"python run.py --config {config.resolve()} review" in text  # the admin can paste it as it is
    # a unit named by the content of a mail from an address not registered for it is flagged for checking
    personal = [m for m in sample.mails if m.truth.case == "personal_sender"]
    assert personal and "需要核实发件人的报送" in text
    flagged = text.split("需要核实发件人的报送", 1)[1]
    for mail in personal:
        assert parseaddr(message_from_bytes(mail.raw)["From"])[1].lower() in flagged

    # the chart: an image part with a Content-ID that the HTML references
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert '<meta name="viewport"' in html and "max-width:640px" in html

    # the workbook: attached, readable by pandas, the same counts
    [attachment] = [p for p in message.iter_attachments() if (p.get_filename() or "").endswith(".xlsx")]
    book = attachment.get_content()
    sheets = pd.read_excel(io.BytesIO(book), sheet_name=None, engine="openpyxl")
    assert list(sheets) == SHEETS
    assert len(sheets["汇总"]) == len(units)
    assert len(sheets["活动明细"]) == len(activities)
    assert len(sheets["邮件"]) == len(data["messages"])
    assert len(sheets["待确认活动"]) == sum(len(m.get("proposed_activities", [])) for m in data["messages"])
    assert len(sheets["未报送单位"]) == sum(not u["submitted"] for u in units)
    assert len(sheets["未达标单位"]) == sum(u["submitted"] and not u["met"] for u in units)
    assert len(sheets["待人工核查"]) == len(review)
    assert "处理命令" in sheets["待人工核查"].columns
    assert pd.api.types.is_datetime64_any_dtype(sheets["活动明细"]["开始日期"])
    assert pd.api.types.is_datetime64_any_dtype(sheets["邮件"]["收到时间"])
    wb = load_workbook(io.BytesIO(book))
    for name in SHEETS:
        assert wb[name].freeze_panes == "A2" and wb[name].auto_filter.ref


def test_digest_as_of_a_date_and_dry_run(imap_account, smtp_sink, tmp_path, sample, monkeypatch):
    early = [m for m in sample.mails if m.received.date() <= date(2025, 9, 15)]
    load(imap_account, sample.mails)
    config = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0
    sent = len(smtp_sink.messages)
    assert main(["--config", str(config), "digest", "--date", "2025-09-15", "--dry-run"]) == 0
    [path] = (tmp_path / "var" / "digests").glob("digest-2025-09-15*.eml")
    assert len(smtp_sink.messages) == sent  # nothing sent
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    truth_units = {u for m in early if m.truth.status != "ignored" and m.truth.unit_id for u in [m.truth.unit_id]}
    assert f"已报送单位 {len(truth_units)}/{len(sample.units)}" in text
    assert "2025年9月15日" in message["Subject"] and "还剩 11 天" in text
    new_that_day = [m for m in sample.mails if m.received.date() == date(2025, 9, 15)
                    and (m.truth.status != "ignored" or m.truth.case == "question")]
    assert f"9月15日新收邮件（{len(new_that_day)}）" in text
    attachment = next(p for p in message.iter_attachments() if (p.get_filename() or "").endswith(".xlsx"))
    sheets = pd.read_excel(io.BytesIO(attachment.get_content()), sheet_name=None, engine="openpyxl")
    assert len(sheets["汇总"]) == len(sample.units)
    assert int((sheets["汇总"]["是否报送"] == "是").sum()) == len(truth_units)


def test_chart_draws_chinese_in_an_installed_cjk_font():
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from pipeline.reporting.chart import SHORT_LABELS, cjk_font, progress_chart

    family = cjk_font()
    if family is None:
        missing_tool("no CJK font installed (apt-get install fonts-wqy-microhei)")
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    font = FT2Font(path)
    text = "".join(SHORT_LABELS.values()) + "各类别报送进度单位数每日收到的邮件柱及累计线应已"
    missing = [ch for ch in set(text) if ch.strip() and font.get_char_index(ord(ch)) == 0]
    assert not missing, f"{family} lacks {missing}"
    png = progress_chart([dict(code="county", submitted=3, expected=11), dict(code="base", submitted=0, expected=3)],
                         [(date(2025, 9, 1), 2), (date(2025, 9, 2), 0)])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_workbook_neutralises_formulas_and_writes_real_dates(tmp_path):
    from pipeline.reporting.workbook import write_workbook

    data = {"units": [{"unit_id": "u1", "name": "=cmd|' /C calc'!A0", "category": "county", "required": 10,
                       "reported": 1, "met": False, "submitted": True, "late": False,
                       "last_received_at": "2025-09-20T10:11:00+08:00"}],
            "messages": [{"message_id": "<a@b>", "received_at": "2025-09-20T10:11:00+08:00", "sender": "a@b",
                          "subject": "@SUM(1+1)", "status": "needs_review", "reason": "+danger", "unit_id": "u1",
                          "late": False, "files": []}],
            "activities": [{"unit_id": "u1", "message_id": "<a@b>", "title": "=HYPERLINK(\"http://x\")",
                            "start_date": "2025-09-15", "end_date": "2025-09-16", "location": None,
                            "organizer": None, "format": "offline", "participants": 500, "source": "a.xlsx!S!R2"}]}
    out = tmp_path / "book.xlsx"
    write_workbook(data, out)
    wb = load_workbook(out)
    assert wb["汇总"]["B2"].value.startswith("'=") and wb["汇总"]["B2"].data_type == "s"
    assert wb["活动明细"]["B2"].value.startswith("'=")
    assert wb["活动明细"]["C2"].is_date and wb["汇总"]["I2"].is_date
    assert wb["活动明细"]["C2"].value.date() == date(2025, 9, 15)
    assert wb["汇总"]["I2"].value.hour == 10  # the campaign's wall-clock time
    assert not any(re.match(r"^=", str(c.value or "")) for ws in wb for row in ws.iter_rows() for c in row)
