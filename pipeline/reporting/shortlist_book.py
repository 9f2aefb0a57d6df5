"""The shortlist as a workbook for the office: every candidate, its scores and evidence, and the picks."""
from __future__ import annotations

from pathlib import Path

import xlsxwriter

from pipeline.config import CATEGORIES
from pipeline.reporting.season import Season
from pipeline.reporting.workbook import neutralise

UNIT_COLUMNS = [("是否选入", 9), ("排名", 6), ("单位名称", 28), ("类别", 18), ("总分", 8), ("组织动员有力", 10),
                ("亮点特色突出", 10), ("服务基层有效", 10), ("评分依据", 90)]
ACTIVITY_COLUMNS = [("是否选入", 9), ("排名", 6), ("单位名称", 26), ("活动名称", 36), ("开始日期", 12),
                    ("参与人次", 10), ("评分", 8), ("评分依据", 90)]


def _sheet(book, name: str, columns: list[tuple[str, int]], rows: list[list]) -> None:
    sheet = book.add_worksheet(name)
    head = book.add_format({"bold": True, "bg_color": "#e3e8ef", "border": 1, "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for col, (title, width) in enumerate(columns):
        sheet.write(0, col, title, head)
        sheet.set_column(col, col, width, wrap if width >= 28 else None)
    for r, row in enumerate(rows, 1):
        for col, value in enumerate(row):
            sheet.write(r, col, neutralise(value))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)


def write_shortlist(season: Season, out: Path) -> Path:
    chosen = season.picks.chosen
    units = [["是" if ("unit", c.unit_id) in chosen else "", i, c.name, CATEGORIES.get(c.category, c.category),
              c.total, *[k.score for k in c.criteria],
              "\n".join(f"{k.name}：" + "；".join(f"{e.text}（{e.points:g}分）" for e in k.evidence) for k in c.criteria)]
             for i, c in enumerate(season.shortlist.units, 1)]
    activities = [["是" if ("activity", c.key) in chosen else "", i, c.unit, c.title, c.start_date or "",
                   c.participants, c.score, "；".join(f"{e.text}（{e.points:g}分）" for e in c.evidence)]
                  for i, c in enumerate(season.shortlist.activities, 1)]
    book = xlsxwriter.Workbook(str(out))
    try:
        _sheet(book, "拟表扬单位", UNIT_COLUMNS, units)
        _sheet(book, "拟表扬活动", ACTIVITY_COLUMNS, activities)
    finally:
        book.close()
    return out
