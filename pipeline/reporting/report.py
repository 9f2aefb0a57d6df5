"""The draft of the city's season summary, a Word file in 公文 layout (python-docx).

A4 with the margins of GB/T 9704 (top 37 mm, bottom 35, left 28, right 26); the title in 方正小标宋简体
二号, headings 一、 in 黑体 三号, （一） in 楷体_GB2312, the body in 仿宋_GB2312 三号 at a fixed 28 pt line.
Chinese font names go in each run's ``w:eastAsia`` attribute (Latin text and digits in Times New Roman),
and the document's font table names a fallback for each (``w:altName``: 宋体, 黑体, 楷体, 仿宋), which
Word and LibreOffice use on a PC that lacks the 公文 fonts.

Every number comes from one ``Season`` (one ``dataset`` call), so it equals the export of that moment.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from pipeline.reporting.chart import SHORT_LABELS
from pipeline.reporting.narratives import KIND_CN, cases, group_suggestions, sentences
from pipeline.reporting.season import Season, after_deadline, by_category, platform_counts
from pipeline.reporting.wording import FORMAT_CN, cn_date

TITLE_FONT, HEADING_FONT, SUB_FONT, BODY_FONT, LATIN = "方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "Times New Roman"
FALLBACKS = {TITLE_FONT: ("宋体", "SimSun"), HEADING_FONT: ("SimHei", "黑体"), SUB_FONT: ("楷体", "KaiTi"),
             BODY_FONT: ("仿宋", "FangSong")}
SIZE_TITLE, SIZE_BODY, SIZE_TABLE = Pt(22), Pt(16), Pt(10.5)
NUMBERS = "一二三四五六七八九十"
TOP_DRAFT = 10  # without picks, the shortlist's first ten units and activities, marked 草稿


def _fonts(run, east_asia: str, size: Pt | None = None, bold: bool = False) -> None:
    run.font.name = LATIN
    run.font.bold = bold
    if size is not None:
        run.font.size = size
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _para(doc, text: str, font: str = BODY_FONT, *, size: Pt = SIZE_BODY, indent: bool = True,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, bold: bool = False):
    p = doc.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28 if size >= SIZE_BODY else 18)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
    _fonts(p.add_run(text), font, size, bold)
    return p


def _heading(doc, n: int, text: str) -> None:
    _para(doc, f"{NUMBERS[n - 1]}、{text}", HEADING_FONT)


def _subheading(doc, n: int, text: str) -> None:
    _para(doc, f"（{NUMBERS[n - 1] if n <= 10 else n}）{text}", SUB_FONT)


def _font_table(doc) -> None:
    """Name a fallback for each 公文 font in word/fontTable.xml (w:altName, charset GB2312)."""
    part = next((p for p in doc.part.package.parts if str(p.partname).endswith("/fontTable.xml")), None)
    if part is None:
        return
    entries = "".join(f'<w:font w:name="{name}"><w:altName w:val="{alt[0]}"/><w:charset w:val="86"/>'
                      f'<w:family w:val="{"modern" if name == HEADING_FONT else "roman"}"/><w:pitch w:val="fixed"/>'
                      "</w:font>" for name, alt in FALLBACKS.items())
    part._blob = part.blob.replace(b"</w:fonts>", entries.encode("utf-8") + b"</w:fonts>")


def _page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = LATIN, SIZE_BODY
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _font_table(doc)


def _table(doc, header: list[str], rows: list[list], widths: list[float] | None = None) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, width in enumerate(widths or []):
        table.columns[i].width = Mm(width)  # the grid LibreOffice lays out by
    for cells in ([header] + rows):
        row = table.rows[0] if cells is header else table.add_row()
        for i, value in enumerate(cells):
            cell = row.cells[i]
            cell.text = ""
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER if cells is header or isinstance(value, int) \
                else WD_ALIGN_PARAGRAPH.LEFT
            _fonts(p.add_run("" if value is None else str(value)), HEADING_FONT if cells is header else BODY_FONT,
                   SIZE_TABLE)
            if widths:
                cell.width = Mm(widths[i])


def _basics(doc, season: Season) -> None:
    units, acts = season.units, season.data["activities"]
    submitted = sum(u["submitted"] for u in units)
    late = sum(u["late"] for u in units)
    people = sum(a["participants"] or 0 for a in acts)
    online = sum(a.get("participants_online") or 0 for a in acts)
    offline = sum(a.get("participants_offline") or 0 for a in acts)
    _heading(doc, 1, "基本情况")
    _para(doc, f"{season.name}期间（{cn_date(season.period[0])}至{cn_date(season.period[1])}），全市应报送总结的单位共"
               f"{len(units)}家，已报送{submitted}家，其中按时报送{submitted - late}家、逾期报送{late}家，"
               f"未报送{len(units) - submitted}家；达到重点科普活动数量要求的{sum(u['met'] for u in units)}家。"
               f"各单位共报送重点科普活动{len(acts)}项（应报不少于{sum(u['required'] for u in units)}项），"
               f"参与群众{people}人次" + (f"（分项填写的线下{offline}人次、线上{online}人次）" if online or offline else "")
          + "。报送截止日期为" + cn_date(season.deadline) + "。")
    rows = [[SHORT_LABELS.get(c["code"], c["label"]), c["units"], c["submitted"], c["on_time"], c["met"], c["required"], c["reported"],
             c["participants"]] for c in by_category(season)]
    _table(doc, ["类别", "单位数", "已报送", "按时报送", "达标", "应报活动", "已报活动", "参与人次"], rows,
           [30, 16, 16, 18, 14, 18, 18, 22])
    counts = platform_counts(season)
    if counts["platform"]:
        pf = counts["platform"]
        text = (f"全国科普月平台清单共{pf.get('rows', 0)}条，与报送活动匹配{pf.get('matched', 0)}条；报送的{len(acts)}项活动中"
                f"{counts['yes']}项可在平台查到，{counts['no']}项未查到；另有{len(pf.get('only_on_platform') or [])}条仅见于平台。")
    elif counts["yes"] or counts["no"]:
        text = (f"尚未导入全国科普月平台清单。据各单位统计表“是否平台填报”一栏，{counts['yes']}项活动已在平台填报，"
                f"{counts['no']}项未填报，{counts['unknown']}项未填写此栏。")
    else:
        text = "尚未导入全国科普月平台清单，各单位统计表亦未填写平台填报情况。"
    _para(doc, text)


def _practice(doc, season: Season) -> None:
    _heading(doc, 2, "主要做法和成效")
    n = 0
    for kind in ("practice", "effect"):
        quoted = [(nar.name, nar.text(kind)) for nar in season.narratives.values() if nar.text(kind)]
        if not quoted:
            continue
        n += 1
        _subheading(doc, n, KIND_CN[kind])
        for name, text in quoted:
            _para(doc, f"{name}：{'' .join(sentences(text)[:3])}")


def _cases(doc, season: Season) -> None:
    _heading(doc, 3, "典型案例")
    quotes = cases(season.narratives)
    if not quotes:
        _para(doc, "各单位总结中未列典型案例。")
    for i, q in enumerate(quotes, 1):
        _para(doc, f"{i}. {q.text}（{q.unit}）")


def _suggestions(doc, season: Season) -> None:
    _heading(doc, 4, "存在问题和意见建议")
    late = after_deadline(season)
    missing = [u["name"] for u in season.units if not u["submitted"]]
    short = [u for u in season.units if u["submitted"] and not u["met"]]
    _para(doc, f"一是仍有{len(missing)}家单位未报送总结" + (f"（{'、'.join(missing)}）" if missing else "")
          + f"；二是{len(short)}家单位报送的重点活动未达到规定数量；三是截止日期后收到报送邮件{len(late)}封"
          + f"（逾期首报{sum(x['kind'] == '逾期首报' for x in late)}封、期后更正{sum(x['kind'] == '期后更正' for x in late)}封）。")
    for i, group in enumerate(group_suggestions(season.narratives), 1):
        _subheading(doc, i, f"关于{group.theme}（{group.units}家单位提出）")
        seen: set[str] = set()
        for q in group.quotes:
            if q.text not in seen:
                seen.add(q.text)
                same = sorted({x.unit for x in group.quotes if x.text == q.text})
                _para(doc, f"{q.text}（{'、'.join(same[:5])}{'等' + str(len(same)) + '家' if len(same) > 5 else ''}）")


def _commend(doc, season: Season) -> None:
    picks = season.picks
    draft = not picks.any
    _heading(doc, 5, "拟表扬单位和活动" + ("（草稿）" if draft else ""))
    units = season.shortlist.units[:TOP_DRAFT] if draft else picks.units
    activities = season.shortlist.activities[:TOP_DRAFT] if draft else picks.activities
    if draft:
        _para(doc, "【草稿】尚未选定拟表扬名单，以下为系统按组织动员有力、亮点特色突出、服务基层有效三项评分排序的前"
                   f"{TOP_DRAFT}名单位和按影响、反映评分排序的前{TOP_DRAFT}项活动，仅供参考，请在管理页面“拟表扬”中选定。")
    _subheading(doc, 1, f"拟表扬单位（{len(units)}家）")
    for i, u in enumerate(units, 1):
        reasons = "；".join(e.text for c in u.criteria for e in c.evidence if e.points > 0)
        _para(doc, f"{i}. {u.name}（评分{u.total}）：{reasons}。")
    _subheading(doc, 2, f"拟表扬活动（{len(activities)}项）")
    for i, a in enumerate(activities, 1):
        _para(doc, f"{i}. {a.unit}《{a.title}》（评分{a.score}）：{'；'.join(e.text for e in a.evidence if e.points > 0)}。")


def _appendix(doc, season: Season) -> None:
    doc.add_page_break()
    _para(doc, "附件", HEADING_FONT, indent=False)
    _para(doc, "各类别重点科普活动明细", TITLE_FONT, size=Pt(18), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    names = {u["unit_id"]: u["name"] for u in season.units}
    for c in by_category(season):
        ids = [u["unit_id"] for u in season.units if u["category"] == c["code"]]
        acts = [a for a in season.data["activities"] if a["unit_id"] in ids]
        _para(doc, f"{c['label']}（{c['activities']}项，应报{c['required']}项）", HEADING_FONT, size=Pt(14), indent=False)
        rows = [[i, names.get(a["unit_id"], a["unit_id"]), a["title"],
                 (a["start_date"] or "") + (f"至{a['end_date']}" if a["end_date"] and a["end_date"] != a["start_date"] else ""),
                 a["location"] or "", FORMAT_CN.get(a["format"] or "", ""), a["participants"]]
                for i, a in enumerate(acts, 1)]
        _table(doc, ["序号", "单位", "活动名称", "时间", "地点", "形式", "人次"], rows, [10, 28, 44, 24, 28, 12, 14])


def write_report(season: Season, out: Path, *, today_cn: str) -> Path:
    doc = Document()
    _page(doc)
    _para(doc, f"{season.name}活动总结（草稿）", TITLE_FONT, size=SIZE_TITLE, indent=False,
          align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, f"（数据截至{today_cn}）", SUB_FONT, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "")
    _basics(doc, season)
    _practice(doc, season)
    _cases(doc, season)
    _suggestions(doc, season)
    _commend(doc, season)
    _appendix(doc, season)
    doc.core_properties.title = f"{season.name}活动总结"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    doc.save(str(tmp))
    tmp.replace(out)
    return out
