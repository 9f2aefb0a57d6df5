"""The Word and Excel files units attach, written by LibreOffice from HTML and flat ODF (tests/lobuild.py).

Each activity list is written here once, as a clerk would type it; the same rows give the expected values
in ``expected.py``. Headers vary the way real offices vary them (序号/活动名称/…, 活动主题/举办时间/…),
sheets carry a merged title row, Word summaries carry narrative sections then the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

import lobuild as lo
from lobuild import COVER, M


@dataclass(frozen=True)
class Act:
    title: str
    when: str  # as typed in the cell
    start: str  # ISO, expected
    end: str
    place: str
    fmt: str  # 线下 | 线上 | 线上线下
    people: str  # as typed
    participants: int | None  # expected


THEMES = [
    ("“科技强国 创新有我”主题科普展", "科技馆一楼展厅", "线下"),
    ("人工智能进社区科普讲座", "社区党群服务中心", "线下"),
    ("老年人防范电信诈骗科普宣传", "文化广场", "线下"),
    ("食品安全科普进校园", "实验小学", "线下"),
    ("应急避险科普演练", "第一中学操场", "线下"),
    ("科普大篷车进乡村", "镇政府广场", "线下"),
    ("“千万IP创科普”短视频征集展播", "抖音官方账号", "线上"),
    ("科学家精神报告会", "党校报告厅", "线下"),
    ("低碳生活科普市集", "人民公园", "线下"),
    ("青少年科技创新作品展", "青少年活动中心", "线下"),
    ("数字素养与技能提升培训", "职业技术学校", "线上线下"),
    ("农业新技术田间课堂", "农业示范园", "线下"),
]


def acts(n: int, day0: int, place_prefix: str, people0: int = 120, *, typed: str = "cn") -> list[Act]:
    """n activities on different days from 2025-09-``day0``; ``typed``: cn (2025年9月5日) | dot (2025.9.5)."""
    out = []
    for i in range(n):
        title, place, fmt = THEMES[i % len(THEMES)]
        day = day0 + (i * 2) % (27 - day0)
        people = people0 + 35 * i
        when = f"2025年9月{day}日" if typed == "cn" else f"2025.9.{day}"
        iso = date(2025, 9, day).isoformat()
        out.append(Act(title, when, iso, iso, f"{place_prefix}{place}", fmt, str(people), people))
    return out


# --- column layouts --------------------------------------------------------------------------------

LAYOUTS = {
    "plain": (["序号", "活动名称", "活动时间", "活动地点", "活动形式", "参与人数"],
              lambda i, a: [i, a.title, a.when, a.place, a.fmt, a.participants]),
    "theme": (["序号", "活动主题", "举办时间", "举办地点", "活动方式", "受众人数（人次）"],
              lambda i, a: [i, a.title, a.when, a.place, a.fmt, a.people + "人次"]),
    "key": (["序号", "重点活动名称", "开展日期", "活动地点", "线上/线下", "参与人数（人）"],
            lambda i, a: [i, a.title, a.when, a.place, a.fmt, a.participants]),
    "org": (["序号", "活动名称", "主办单位", "时间", "地点", "参加人数"],
            lambda i, a: [i, a.title, "", a.when, a.place, f"约{a.people}人"]),
}


def _rows(layout: str, items: list[Act], organizer: str = "") -> list[list]:
    header, row = LAYOUTS[layout]
    rows = [header]
    for i, a in enumerate(items, 1):
        cells = row(i, a)
        if layout == "org":
            cells[2] = organizer
        rows.append(cells)
    return rows


def sheet(title: str, layout: str, items: list[Act], organizer: str = "", filler: str = "填报人：") -> bytes:
    """A flat ODF sheet: a merged title row, the header, the rows, a 填报人 line under them."""
    rows = _rows(layout, items, organizer)
    width = len(rows[0])
    return lo.fods({"Sheet1": [[M(title, cols=width)] + [COVER] * (width - 1), *rows, [filler] + [""] * (width - 1)]})


def word(title: str, sections: list[str], layout: str | None = None, items: list[Act] = (),
         organizer: str = "", after: list[str] = ()) -> bytes:
    """An HTML summary for LibreOffice Writer: a centered title, sections, optionally the activity table."""
    parts = ['<html><head><meta charset="utf-8"></head><body>',
             f'<p align="center"><b><font size="5">{escape(title)}</font></b></p>']
    parts += [f"<p>{escape(s)}</p>" for s in sections]
    if layout:
        parts.append('<table border="1" cellspacing="0">')
        for r in _rows(layout, list(items), organizer):
            parts.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>")
        parts.append("</table>")
    parts += [f"<p>{escape(s)}</p>" for s in after]
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")


NARRATIVE = ["一、活动开展情况", "全国科普月期间，我单位高度重视，成立工作专班，围绕“提升全民科学素质 夯实科技强国基础”主题，"
             "精心组织开展了系列重点科普活动。",
             "二、工作成效", "活动覆盖面广，群众参与热情高，社会反响良好。",
             "三、典型案例", "科普大篷车进乡村活动深受群众欢迎。",
             "四、意见建议", "建议进一步加大科普资源下沉力度。"]


def convert_all(writer: dict[str, bytes], calc: dict[str, bytes]) -> dict[str, bytes]:
    """{"name.docx"/"name.doc": html, "name.xlsx"/"name.xls"/"name.ods": fods} -> the files LibreOffice writes."""
    if not lo.available():
        raise RuntimeError("soffice (LibreOffice) is not installed")
    out: dict[str, bytes] = {}
    for target in ("docx", "doc", "pdf"):
        todo = {n.rsplit(".", 1)[0] + ".html": d for n, d in writer.items() if n.endswith("." + target)}
        if todo:
            done = lo.convert(todo, target, lo.IMPORT_HTML["writer"])
            out.update({n.rsplit(".", 1)[0] + "." + target: d for n, d in done.items()})
    for target in ("xlsx", "xls", "ods"):
        todo = {n.rsplit(".", 1)[0] + ".fods": d for n, d in calc.items() if n.endswith("." + target)}
        if todo:
            done = lo.convert(todo, target)
            out.update({n.rsplit(".", 1)[0] + "." + target: d for n, d in done.items()})
    return out
