"""The consolidated workbook an admin opens in Excel or WPS.

Sheets 汇总 (units), 活动明细, 一般活动（不计入）, 邮件, 未报送单位, 未达标单位, 待人工核查, 待确认活动 (rows read
from prose or scans that wait for a person), 平台核对 (once a platform list was imported): frozen header row,
filters, column widths, real dates, text that looks like a formula neutralised.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from pipeline.config import CATEGORIES
from pipeline.reporting.wording import FORMAT_CN, STATUS_CN


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


SHEETS = {
    "汇总": [("unit_id", "单位编号", 12), ("name", "单位名称", 30), ("category", "类别", 16),
            ("required", "应报活动数", 10), ("reported", "已报活动数", 10), ("met", "是否达标", 9),
            ("submitted", "是否报送", 9), ("late", "是否逾期", 9), ("last_received_at", "最近报送时间", 18),
            ("platform_activities", "平台活动数", 10)],
    "活动明细": [("unit_name", "单位名称", 26), ("title", "活动名称", 40), ("start_date", "开始日期", 12),
              ("end_date", "结束日期", 12), ("location", "活动地点", 24), ("organizer", "主办单位", 22),
              ("format", "活动形式", 10), ("participants", "参与人数", 10), ("participants_offline", "线下人数", 10),
              ("participants_online", "线上人数", 10), ("source", "来源（文件!工作表!行）", 36),
              ("platform_id", "平台活动编号", 20)],
    "邮件": [("received_at", "收到时间", 18), ("sender", "发件人", 26), ("unit_name", "单位", 24),
           ("subject", "主题", 40), ("status", "状态", 11), ("reason", "说明", 40), ("late", "是否逾期", 9),
           ("files", "附件", 50), ("message_id", "邮件编号", 30)],
    "待确认活动": [("unit_name", "单位名称", 26), ("row", "行号", 6), ("title", "活动名称", 40), ("start_date", "开始日期", 12),
              ("end_date", "结束日期", 12), ("location", "活动地点", 24), ("format", "活动形式", 10),
              ("participants", "参与人数", 10), ("confidence", "可信度", 8), ("source", "读自", 36),
              ("evidence", "原文", 60), ("message_id", "邮件编号", 30)],
}
GENERAL_SHEET = "一般活动（不计入）"  # a unit's 一般活动: shown, never counted toward the quota
PLATFORM_CHECK = [("kind", "类型", 18), ("unit_name", "单位名称", 26), ("title", "活动名称", 40),
                  ("start_date", "开始日期", 12), ("platform_id", "平台活动编号", 20),
                  ("platform_status", "平台审核状态", 12), ("unit_says", "单位所填“是否平台填报”", 14),
                  ("detail", "说明", 44)]
REVIEW_EXTRA = [("advice", "处理建议", 40), ("command", "处理命令", 60)]
DATE_KEYS = ("start_date", "end_date")
TIME_KEYS = ("received_at", "last_received_at")


def _cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    return neutralise(value)


def _local_time(value) -> datetime | None:
    """An ISO time with its offset -> the wall-clock time it names (Excel has no time zones)."""
    if not isinstance(value, str) or len(value) < 16:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


def _write_sheet(book, name: str, columns: list[tuple[str, str, int]], rows: list[dict], formats) -> None:
    sheet = book.add_worksheet(name)
    for col, (_, header, width) in enumerate(columns):
        sheet.write_string(0, col, header, formats["header"])
        sheet.set_column(col, col, width)
    for r, row in enumerate(rows, start=1):
        for c, (key, _, _) in enumerate(columns):
            value = _cell(row.get(key))
            if value is None or value == "":
                continue
            if key in DATE_KEYS and isinstance(value, str) and len(value) == 10:
                sheet.write_datetime(r, c, date.fromisoformat(value), formats["date"])
            elif key in TIME_KEYS and _local_time(value) is not None:
                sheet.write_datetime(r, c, _local_time(value), formats["time"])
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value), formats["wrap"] if len(str(value)) > 60 or "\n" in str(value) else None)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)


def write_workbook(data: dict, out: Path, review: dict | None = None) -> None:
    """``review``: message_id -> ``review.ReviewItem``, for the advice and command columns of 待人工核查."""
    names = {u["unit_id"]: u["name"] for u in data["units"]}
    units = [{**u, "category": CATEGORIES.get(u["category"], u["category"])} for u in data["units"]]
    activities, general = ([{**a, "unit_name": names.get(a["unit_id"], a["unit_id"]),
                             "format": FORMAT_CN.get(a["format"], a["format"])} for a in data.get(part, [])]
                           for part in ("activities", "general_activities"))
    messages = [{**m, "unit_name": names.get(m["unit_id"], ""), "status": STATUS_CN.get(m["status"], m["status"]),
                 "files": "；".join(f"{f['name']}（{f['error'] or f['status']}）" for f in m["files"])}
                for m in data["messages"]]
    book = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    formats = {"header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
               "date": book.add_format({"num_format": "yyyy-mm-dd"}),
               "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
               "wrap": book.add_format({"text_wrap": True, "valign": "top"})}
    _write_sheet(book, "汇总", SHEETS["汇总"], units, formats)
    _write_sheet(book, "活动明细", SHEETS["活动明细"], activities, formats)
    _write_sheet(book, GENERAL_SHEET, SHEETS["活动明细"], general, formats)
    _write_sheet(book, "邮件", SHEETS["邮件"], messages, formats)
    _write_sheet(book, "未报送单位", SHEETS["汇总"], [u for u in units if u["submitted"] is False], formats)
    _write_sheet(book, "未达标单位", SHEETS["汇总"], [u for u in units if u["submitted"] and not u["met"]], formats)
    review = review or {}
    pending = [{**m, "advice": review[m["message_id"]].advice if m["message_id"] in review else "",
                "command": "\n".join(review[m["message_id"]].commands) if m["message_id"] in review else ""}
               for m in messages if m["status"] == STATUS_CN["needs_review"]]
    _write_sheet(book, "待人工核查", SHEETS["邮件"][:6] + REVIEW_EXTRA + SHEETS["邮件"][6:], pending, formats)
    proposed = [{**p, "unit_name": names.get(p["unit_id"], ""), "format": FORMAT_CN.get(p["format"], p["format"])}
                for m in data["messages"] for p in m.get("proposed_activities", [])]
    _write_sheet(book, "待确认活动", SHEETS["待确认活动"], proposed, formats)
    if data.get("platform"):
        _write_sheet(book, "平台核对", PLATFORM_CHECK, platform_check_rows(data, names), formats)
    book.close()


def platform_check_rows(data: dict, names: dict[str, str]) -> list[dict]:
    """What the office checks against the national platform: the units' own 是否平台填报 contradicted,
    rows only on the platform, reported activities not found there."""
    section = data["platform"]
    rows = [{**d, "kind": "填报情况不一致", "unit_name": names.get(d["unit_id"], d["unit_id"]), "detail": d["issue"]}
            for d in section.get("disagreements", [])]
    rows += [{**r, "kind": "仅在平台", "unit_name": names.get(r["unit_id"], "") if r["unit_id"] else "",
              "platform_status": r.get("status"),
              "detail": f"主办/填报单位：{r['organizer']}" if r.get("organizer") else "总结中没有对应活动"}
             for r in section["only_on_platform"]]
    rows += [{**a, "kind": "总结有、平台未找到", "unit_name": names.get(a["unit_id"], a["unit_id"]),
              "detail": a.get("source")} for a in data["activities"] if not a.get("platform_id")]
    return rows
