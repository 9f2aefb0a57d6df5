"""The harder half of what units send, for the accuracy benchmark (``generate(..., extended=True)``).

Legacy and WPS formats (.xls/.et/.ods/.doc/.wps, made by LibreOffice from our own .xlsx/.docx),
three-row merged headers, totals right under the header, a cover sheet before several
activity sheets, separate online/offline columns in any order, Word tables with merged cells
and a header repeated on every page, 活动时间 merged over 开始 | 结束 with the template's example row left in, Excel ``9.1`` float dates (ambiguous: the truth is "no
date"), serial numbers stored as text, text PDFs and stamped copies, nested zips, .rar/.7z,
超大附件 links, and units named by aliases, former names and loose spellings from personal
addresses. Like the rest of ``samples`` it shares no code with ``parsers`` or ``pipeline``.
"""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta

import xlsxwriter

from . import documents as docs
from .activities import make_activities, spell_count, spell_date, spell_format, split_online_offline
from .mails import File, compose, style_for
from .model import ExpectedActivity, Unit
from .units import person_name, qq_address

EXTENDED_CASES = ("xls_real", "et_wps", "ods", "doc_legacy", "wps_word", "xlsx_deep_header", "xlsx_total_top",
                  "xlsx_multi_sheet", "xlsx_split_columns", "xlsx_start_end", "docx_merged_table", "pdf_text_only",
                  "pdf_stamped_copy", "zip_nested", "rar_7z_only", "rar_beside", "oversize_link",
                  "oversize_partial", "float_dates", "serial_text", "fuzzy_name")
NEEDS_SOFFICE = {"xls_real", "et_wps", "ods", "doc_legacy", "wps_word", "pdf_text_only", "pdf_stamped_copy"}
EPOCH = date(1899, 12, 30)


# ---- sending ---------------------------------------------------------------------------------

def send(b, unit: Unit, case: str, files: list[File], when: datetime, *, acts: list[ExpectedActivity],
         carries_list: bool, carries_narrative: bool, status: str | None = None, note: str = "",
         sender=None, name: str | None = None, text: str | None = None):
    from .generator import _Plan  # the generator imports this module

    r = b.rng
    name = name or b.display(unit)
    from_name, from_addr, registered = sender or b.sender(unit)
    subject = b.subject(name, registered)
    body = text if text is not None else b.body(name, unit, "活动总结" if carries_narrative else "活动统计表")
    style = style_for(r, b.clients[unit.unit_id] if registered else r.choice(["qq", "netease"]))
    to = b.to_mailbox()

    def render(mid, idx, rr):
        return compose(rr, style, message_id=mid, when=when, from_name=from_name, from_addr=from_addr, to=to,
                       subject=subject, text=body, files=files, received_from=from_addr.split("@")[1])

    status = status or ("accepted" if carries_list else "needs_review")
    return b.add(_Plan(when, b.arrival(when), case, unit, status, render, carries_list, carries_narrative,
                       acts if carries_list else [], note))


def _when(b) -> datetime:
    return b.office_time(date(2025, 9, 12), date(2025, 9, 26))


def _word(b, unit, acts, when, name, mode="summary") -> File:
    r = b.rng
    clerk = b.clerks[unit.unit_id][0]
    data = docs.build_docx(b.narrative(name, acts, mode, when), styled=r.random() < 0.4, author=clerk,
                           when=when, rng=r)
    return File(r.choice([f"{name}2025年全国科普月活动总结.docx", f"{name}科普月总结.docx",
                          f"附件1：{name}全国科普月活动总结.docx"]), data)


def _xlsx_name(r, name, ext="xlsx") -> str:
    return r.choice([f"{name}重点科普活动统计表.{ext}", f"附件2：{name}活动统计表.{ext}",
                     f"{name}全国科普月活动明细.{ext}"])


def _std_xlsx(b, unit, acts, when, name, layout=None):
    clerk, phone = b.clerks[unit.unit_id]
    layout = layout or b.rng.choice(("titled", "merged", "wps"))
    data, has_format = docs.build_xlsx(b.rng, acts, unit_display=name, layout=layout, clerk=clerk, phone=phone,
                                       when=when)
    return data, (acts if has_format else [replace(a, format=None) for a in acts])


def _converted(b, name: str, source: bytes, source_ext: str, target: str) -> File:
    f = File(name, b"")
    b.converter.request(f, source, source_ext, target)
    return f


# ---- legacy and other formats ------------------------------------------------------------------

def _legacy_sheet(target: str, case: str, ext: str):
    def run(b, u):
        r = b.rng
        when, name = _when(b), b.display(u)
        acts = make_activities(r, u, b.n_activities(u))
        data, truth = _std_xlsx(b, u, acts, when, name)
        files = []
        with_word = r.random() < 0.6
        if with_word:
            files.append(_word(b, u, acts, when, name))
        files.append(_converted(b, _xlsx_name(r, name, ext), data, "xlsx", target))
        send(b, u, case, files, when, acts=truth, carries_list=True, carries_narrative=with_word,
             note=f"activity table as .{ext} made by LibreOffice")
    return run


def _legacy_word(ext: str, case: str):
    def run(b, u):
        r = b.rng
        when, name = _when(b), b.display(u)
        acts = make_activities(r, u, b.n_activities(u))
        with_table = r.random() < 0.7
        src = _word(b, u, acts, when, name, "table" if with_table else "summary")
        word = _converted(b, src.name.rsplit(".", 1)[0] + "." + ext, src.data, "docx", "doc")
        files, truth = [word], acts
        if not with_table:
            data, truth = _std_xlsx(b, u, acts, when, name)
            files.append(File(_xlsx_name(r, name), data))
        send(b, u, case, files, when, acts=truth, carries_list=True, carries_narrative=True,
             note=f".{ext} Word file" + (" with the activity table" if with_table else " beside an Excel table"))
    return run


# ---- Excel layouts ---------------------------------------------------------------------------

def _book(r):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    fmts = {"title": wb.add_format({"bold": True, "font_size": 16, "align": "center"}),
            "head": wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter"}),
            "cell": wb.add_format({"border": 1, "text_wrap": True}),
            "date": wb.add_format({"border": 1, "num_format": r.choice(['yyyy"年"m"月"d"日"', "yyyy/m/d"])})}
    return buf, wb, fmts


def _write_date(sheet, row, col, a, r, fmts, mode="any"):
    if mode == "float":
        if a.start_date == a.end_date:
            sheet.write_number(row, col, float(f"{a.start_date.month}.{a.start_date.day}"), fmts["cell"])
            return a.start_date.day in (1, 2, 3, 10, 20, 30)  # 9.1 / 9.2 / 9.3: ambiguous
        sheet.write_string(row, col, f"{a.start_date.month}.{a.start_date.day}-{a.end_date.month}."
                                     f"{a.end_date.day}", fmts["cell"])
        return False
    if mode == "serial":
        if a.start_date == a.end_date:
            sheet.write_string(row, col, str((a.start_date - EPOCH).days), fmts["cell"])
        else:
            sheet.write_string(row, col, spell_date(r, a.start_date, a.end_date), fmts["cell"])
        return False
    value = spell_date(r, a.start_date, a.end_date, allow_cell=True)
    if isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), fmts["date"])
    else:
        sheet.write_string(row, col, value, fmts["cell"])
    return False


def _write_count(sheet, row, col, value, fmts):
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmts["cell"])
    elif isinstance(value, int):
        sheet.write_number(row, col, value, fmts["cell"])
    else:
        sheet.write_string(row, col, value, fmts["cell"])


def deep_header_xlsx(r, acts, name, clerk, phone, when) -> bytes:
    """Title, 填报单位/联系人 line, a three-row header (group row, labels, 线上/线下), totals at the end."""
    buf, wb, f = _book(r)
    s = wb.add_worksheet(r.choice(["Sheet1", "活动统计"]))
    s.merge_range(0, 0, 0, 6, f"{name}2025年全国科普月重点科普活动情况统计表", f["title"])
    s.write(1, 0, f"填报单位（盖章）：{name}")
    s.write(1, 4, f"联系人：{clerk}  电话：{phone}")
    s.merge_range(2, 0, 2, 4, "活动基本情况", f["head"])
    s.merge_range(2, 5, 2, 6, "参与情况", f["head"])
    for c, h in enumerate(["序号", r.choice(["活动名称", "活动主题"]), r.choice(["活动时间", "开展时间"]),
                           r.choice(["活动地点", "举办地点"]), "活动形式"]):
        s.merge_range(3, c, 4, c, h, f["head"])
    s.merge_range(3, 5, 3, 6, r.choice(["参与人数", "受众人数"]), f["head"])
    s.write(4, 5, "线上", f["head"])
    s.write(4, 6, "线下", f["head"])
    for i, a in enumerate(acts):
        row = 5 + i
        s.write_number(row, 0, i + 1, f["cell"])
        s.write_string(row, 1, a.title, f["cell"])
        _write_date(s, row, 2, a, r, f)
        s.write_string(row, 3, a.location or "", f["cell"])
        s.write_string(row, 4, spell_format(r, a.format), f["cell"])
        online, offline = split_online_offline(r, a)
        _write_count(s, row, 5, online, f)
        _write_count(s, row, 6, offline, f)
    end = 5 + len(acts)
    s.write_string(end, 0, "合计", f["cell"])
    s.write_number(end, 6, sum(a.participants or 0 for a in acts), f["cell"])
    wb.close()
    return buf.getvalue()


def total_top_xlsx(r, acts, name, clerk, phone, when) -> bytes:
    """合计 right under the header, a blank row and a note row among the data, a footer."""
    buf, wb, f = _book(r)
    s = wb.add_worksheet("重点科普活动")
    s.merge_range(0, 0, 0, 5, f"{name}全国科普月重点活动一览表", f["title"])
    head = ["序号", "活动名称", "活动时间", "活动地点", "活动形式", r.choice(["参与人数", "参加人次"])]
    for c, h in enumerate(head):
        s.write(1, c, h, f["head"])
    s.write_string(2, 0, r.choice(["合计", "总计"]), f["cell"])
    s.write_string(2, 1, f"共{len(acts)}项", f["cell"])
    s.write_number(2, 5, sum(a.participants or 0 for a in acts), f["cell"])
    row = 3
    gap = r.randrange(1, max(2, len(acts)))
    for i, a in enumerate(acts):
        if i == gap:
            row += 1  # a blank row
        s.write_number(row, 0, i + 1, f["cell"])
        s.write_string(row, 1, a.title, f["cell"])
        _write_date(s, row, 2, a, r, f)
        s.write_string(row, 3, a.location or "", f["cell"])
        s.write_string(row, 4, spell_format(r, a.format), f["cell"])
        _write_count(s, row, 5, spell_count(r, a.participants, allow_number=True), f)
        row += 1
    s.write_string(row + 1, 0, "注：参与人数含线上观看人次。")
    s.write_string(row + 2, 0, f"填表人：{clerk}    联系电话：{phone}")
    wb.close()
    return buf.getvalue()


def multi_sheet_xlsx(r, acts, name, clerk, phone, when) -> bytes:
    """A 填报说明 cover sheet, then 线下 and 线上 activity sheets."""
    buf, wb, f = _book(r)
    cover = wb.add_worksheet(r.choice(["填报说明", "封面"]))
    cover.write(0, 0, f"{name}2025年全国科普月活动统计表", f["title"])
    cover.write(2, 0, "填报说明：")
    cover.write(3, 0, "1. 活动名称请填写全称，活动时间精确到日；")
    cover.write(4, 0, "2. 线上活动参与人数按观看人次统计；")
    cover.write(5, 0, f"填报单位：{name}    联系人：{clerk}    电话：{phone}")
    groups = [("线下活动", [a for a in acts if a.format == "offline"]),
              ("线上及线上线下结合活动", [a for a in acts if a.format != "offline"])]
    for title, group in groups:
        s = wb.add_worksheet(title)
        s.merge_range(0, 0, 0, 5, f"{title}统计表", f["title"])
        for c, h in enumerate(["序号", "活动名称", "活动时间", "活动地点", "活动形式", "参与人数"]):
            s.write(1, c, h, f["head"])
        for i, a in enumerate(group):
            row = 2 + i
            s.write_number(row, 0, i + 1, f["cell"])
            s.write_string(row, 1, a.title, f["cell"])
            _write_date(s, row, 2, a, r, f)
            s.write_string(row, 3, a.location or "", f["cell"])
            s.write_string(row, 4, spell_format(r, a.format), f["cell"])
            _write_count(s, row, 5, spell_count(r, a.participants, allow_number=True), f)
    wb.close()
    return buf.getvalue()


def split_columns_xlsx(r, acts, name, clerk, phone, when) -> tuple[bytes, list[ExpectedActivity]]:
    """Separate 线上参与人数/线下参与人数 columns, columns in another order, sometimes no format column."""
    buf, wb, f = _book(r)
    s = wb.add_worksheet("Sheet1")
    with_format = r.random() < 0.5
    cols = ["title", "location", "date", "offline", "online"] + (["format"] if with_format else [])
    r.shuffle(cols)
    labels = {"title": "活动名称", "location": "活动地点", "date": "活动时间", "format": "活动形式",
              "offline": r.choice(["线下参与人数", "现场参与人数"]), "online": r.choice(["线上参与人数", "线上观看人次"])}
    s.write(0, 0, "序号", f["head"])
    for c, key in enumerate(cols, 1):
        s.write(0, c, labels[key], f["head"])
    truth = []
    for i, a in enumerate(acts):
        row = 1 + i
        online, offline = split_online_offline(r, a)
        values = {"title": a.title, "location": a.location or "", "format": spell_format(r, a.format),
                  "online": online, "offline": offline}
        s.write_number(row, 0, i + 1, f["cell"])
        for c, key in enumerate(cols, 1):
            if key == "date":
                _write_date(s, row, c, a, r, f)
            elif key in ("online", "offline"):
                _write_count(s, row, c, values[key], f)
            else:
                s.write_string(row, c, values[key], f["cell"])
        fmt = a.format if (with_format or a.participants is not None) else None
        truth.append(replace(a, format=fmt))
    wb.close()
    return buf.getvalue(), truth


def dated_xlsx(r, acts, name, mode) -> tuple[bytes, list[ExpectedActivity]]:
    """Dates typed as 9.15 into General cells (Excel keeps the float 9.15; 9.10 becomes 9.1), or
    Excel serial numbers stored as text."""
    buf, wb, f = _book(r)
    s = wb.add_worksheet("Sheet1")
    s.merge_range(0, 0, 0, 5, f"{name}科普月活动统计", f["title"])
    for c, h in enumerate(["序号", "活动名称", "活动时间", "活动地点", "活动形式", "参与人数"]):
        s.write(1, c, h, f["head"])
    truth = []
    for i, a in enumerate(acts):
        row = 2 + i
        s.write_number(row, 0, i + 1, f["cell"])
        s.write_string(row, 1, a.title, f["cell"])
        ambiguous = _write_date(s, row, 2, a, r, f, mode)
        s.write_string(row, 3, a.location or "", f["cell"])
        s.write_string(row, 4, spell_format(r, a.format), f["cell"])
        _write_count(s, row, 5, spell_count(r, a.participants, allow_number=True), f)
        truth.append(replace(a, start_date=None, end_date=None) if ambiguous else a)
    wb.close()
    return buf.getvalue(), truth


START_END_LABELS = [("活动时间", "开始日期", "结束日期"), ("活动时间", "开始", "结束"), ("起止时间", "起", "止"),
                    ("活动日期", "开始时间", "截止时间"), (None, "开始时间", "结束时间")]
EXAMPLE_ROWS = ["（示例）XX社区科普讲座", "例：××街道防灾减灾知识讲座", "示例：某某小学科学实验课"]


def _write_day(sheet, row, col, day: date, r, fmts):
    """One end of a period: a date cell, or the date typed as text."""
    value = r.choice([day, day, f"2025年{day.month}月{day.day}日", f"2025/{day.month}/{day.day}", f"{day.month}月{day.day}日"])
    if isinstance(value, date):
        sheet.write_datetime(row, col, datetime(day.year, day.month, day.day), fmts["date"])
    else:
        sheet.write_string(row, col, value, fmts["cell"])


def start_end_xlsx(r, acts, name, clerk, phone, when) -> bytes:
    """The office template: 活动时间 merged over 开始 | 结束 (or one row 开始时间 | 结束时间), the
    template's example row left in, a one-day activity's end left empty or repeated."""
    buf, wb, f = _book(r)
    s = wb.add_worksheet(r.choice(["Sheet1", "重点活动"]))
    s.merge_range(0, 0, 0, 6, f"{name}全国科普月重点科普活动统计表", f["title"])
    parent, start, end = r.choice(START_END_LABELS)
    labels = ["序号", "活动名称", None, None, "活动地点", "活动形式", r.choice(["参与人数", "参加人次"])]
    if parent:
        for c, h in enumerate(labels):
            if h:
                s.merge_range(1, c, 2, c, h, f["head"])
        s.merge_range(1, 2, 1, 3, parent, f["head"])
        s.write(2, 2, start, f["head"])
        s.write(2, 3, end, f["head"])
        row = 3
    else:
        for c, h in enumerate(labels[:2] + [start, end] + labels[4:]):
            s.write(1, c, h, f["head"])
        row = 2
    example = r.choice(EXAMPLE_ROWS)
    s.write_row(row, 0, [r.choice(["例", "示例", 1]), example, "2025年9月1日", "2025年9月1日", "XX社区", "线下", 100],
                f["cell"])
    for i, a in enumerate(acts, 1):
        row += 1
        s.write_number(row, 0, i, f["cell"])
        s.write_string(row, 1, a.title, f["cell"])
        _write_day(s, row, 2, a.start_date, r, f)
        if a.end_date != a.start_date or r.random() < 0.5:
            _write_day(s, row, 3, a.end_date, r, f)
        else:
            s.write_blank(row, 3, None, f["cell"])  # a one-day activity: the end left empty
        s.write_string(row, 4, a.location or "", f["cell"])
        s.write_string(row, 5, spell_format(r, a.format), f["cell"])
        _write_count(s, row, 6, spell_count(r, a.participants, allow_number=True), f)
    wb.close()
    return buf.getvalue()


def _excel_case(case: str, builder):
    def run(b, u):
        r = b.rng
        when, name = _when(b), b.display(u)
        acts = make_activities(r, u, b.n_activities(u))
        clerk, phone = b.clerks[u.unit_id]
        if case == "float_dates":
            day = date(2025, 9, r.choice([10, 20, 30]))
            k = r.randrange(len(acts))
            acts[k] = replace(acts[k], start_date=day, end_date=day)
            data, truth = dated_xlsx(r, acts, name, "float")
        elif case == "serial_text":
            data, truth = dated_xlsx(r, acts, name, "serial")
        elif case == "xlsx_split_columns":
            data, truth = split_columns_xlsx(r, acts, name, clerk, phone, when)
        else:
            data, truth = builder(r, acts, name, clerk, phone, when), acts
        files = []
        with_word = r.random() < 0.5
        if with_word:
            files.append(_word(b, u, acts, when, name))
        files.append(File(_xlsx_name(r, name), data))
        send(b, u, case, files, when, acts=truth, carries_list=True, carries_narrative=with_word,
             note=f"Excel layout: {case}")
    return run


# ---- Word with merged cells --------------------------------------------------------------------

def _cell(text: str, width: int, *, span: int = 1, vmerge: str | None = None, bold=False) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        props += "<w:vMerge/>"
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{docs._para(docs._run(text, bold=bold) if text else '')}</w:tc>"


def merged_word_table(r, acts: list[ExpectedActivity], name: str) -> str:
    """A table with a title row across it, group rows across it, place cells merged down where two
    activities share a place, and the header repeated where a page would break. Half the tables use
    the office template's two-row header (活动时间 over 开始 | 结束) with its example row left in."""
    split = r.random() < 0.5
    widths = [700, 2600] + ([850, 850] if split else [1700]) + [2000, 900, 1200]
    total, n_cols = sum(widths), len(widths)
    if split:
        parent, start, end = r.choice([lab for lab in START_END_LABELS if lab[0]])
        tops = [("序号", "restart"), ("活动名称", "restart"), (parent, None), ("活动地点", "restart"),
                ("活动形式", "restart"), ("参与人数", "restart")]
        top_widths = widths[:2] + [widths[2] + widths[3]] + widths[4:]
        top = "".join(_cell(h, w, span=2 if i == 2 else 1, vmerge=vm, bold=True)
                      for i, ((h, vm), w) in enumerate(zip(tops, top_widths)))
        subs = [_cell("", widths[0], vmerge="continue"), _cell("", widths[1], vmerge="continue"),
                _cell(start, widths[2], bold=True), _cell(end, widths[3], bold=True)]
        subs += [_cell("", w, vmerge="continue") for w in widths[4:]]
        head_rows = (f'<w:tr><w:trPr><w:tblHeader/></w:trPr>{top}</w:tr>'
                     f'<w:tr><w:trPr><w:tblHeader/></w:trPr>{"".join(subs)}</w:tr>')
    else:
        head = ["序号", "活动名称", "活动时间", "活动地点", "活动形式", "参与人数"]
        head_rows = ('<w:tr><w:trPr><w:tblHeader/></w:trPr>'
                     + "".join(_cell(h, w, bold=True) for h, w in zip(head, widths)) + "</w:tr>")
    rows = [f"<w:tr>{_cell(f'{name}全国科普月重点科普活动一览表', total, span=n_cols, bold=True)}</w:tr>", head_rows]
    if split:
        example = [r.choice(["例", "示例", "1"]), r.choice(EXAMPLE_ROWS), "9月1日", "9月1日", "XX社区", "线下", "100"]
        rows.append("<w:tr>" + "".join(_cell(t, w) for t, w in zip(example, widths)) + "</w:tr>")
    groups = [("一、线下活动", [a for a in acts if a.format == "offline"]),
              ("二、线上及线上线下结合活动", [a for a in acts if a.format != "offline"])]
    n, since_header = 0, 0
    for label, group in groups:
        if not group:
            continue
        rows.append(f"<w:tr>{_cell(label, total, span=n_cols)}</w:tr>")
        for i, a in enumerate(group):
            n += 1
            since_header += 1
            if since_header > 7:  # a page break: the header row(s) again
                rows.append(head_rows)
                since_header = 0
            prev_same = i > 0 and group[i - 1].location == a.location and since_header > 0
            next_same = i + 1 < len(group) and group[i + 1].location == a.location
            vm = "continue" if prev_same else ("restart" if next_same else None)
            if split:
                one_day = a.start_date == a.end_date
                dates = [_cell(spell_date(r, a.start_date, a.start_date), widths[2]),
                         _cell("" if one_day and r.random() < 0.5 else spell_date(r, a.end_date, a.end_date),
                               widths[3])]
            else:
                dates = [_cell(spell_date(r, a.start_date, a.end_date), widths[2])]
            k = len(dates) + 2
            cells = [_cell(str(n), widths[0]), _cell(a.title, widths[1]), *dates,
                     _cell("" if vm == "continue" else (a.location or ""), widths[k], vmerge=vm),
                     _cell(spell_format(r, a.format), widths[k + 1]),
                     _cell(str(spell_count(r, a.participants)), widths[k + 2])]
            rows.append("<w:tr>" + "".join(cells) + "</w:tr>")
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return (f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr>'
            f'<w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>')


def _docx_merged_table(b, u):
    r = b.rng
    when, name = _when(b), b.display(u)
    acts = make_activities(r, u, max(b.n_activities(u), 4))
    # two neighbours of a group share a place (the cell is merged down)
    for fmt in ("offline", "online"):
        idx = [i for i, a in enumerate(acts) if (a.format == "offline") == (fmt == "offline")]
        for j in range(len(idx) - 1):
            if r.random() < 0.35:
                acts[idx[j + 1]] = replace(acts[idx[j + 1]], location=acts[idx[j]].location)
    blocks = b.narrative(name, acts, "summary", when)
    at = next(i for i, blk in enumerate(blocks) if blk[0] == "heading" and blk[1].startswith("二"))
    ordered = [a for a in acts if a.format == "offline"] + [a for a in acts if a.format != "offline"]
    blocks[at:at] = [("para", "主要活动开展情况如下："), ("xml", merged_word_table(r, ordered, name))]
    data = docs.build_docx(blocks, styled=r.random() < 0.4, author=b.clerks[u.unit_id][0], when=when, rng=r)
    files = [File(f"{name}2025年全国科普月活动总结.docx", data)]
    send(b, u, "docx_merged_table", files, when, acts=acts, carries_list=True, carries_narrative=True,
         note="Word table: title row, group rows, place merged down, header repeated per page")


# ---- PDF ----------------------------------------------------------------------------------------

def _pdf_text_only(b, u):
    r = b.rng
    when, name = _when(b), b.display(u)
    acts = make_activities(r, u, b.n_activities(u))
    word = _word(b, u, acts, when, name, "prose")
    pdf = _converted(b, word.name.rsplit(".", 1)[0] + r.choice(["", "（盖章版）"]) + ".pdf", word.data, "docx",
                     "pdf_writer")
    send(b, u, "pdf_text_only", [pdf], when, acts=[], carries_list=False, carries_narrative=True,
         note="a text PDF of a prose-only report: narrative read, no activity list")


def _pdf_stamped_copy(b, u):
    r = b.rng
    when, name = _when(b), b.display(u)
    acts = make_activities(r, u, b.n_activities(u))
    with_table = r.random() < 0.5
    word = _word(b, u, acts, when, name, "table" if with_table else "summary")
    files, truth = [word], acts
    if not with_table:
        data, truth = _std_xlsx(b, u, acts, when, name)
        files.append(File(_xlsx_name(r, name), data))
    stem = word.name.rsplit(".", 1)[0]
    if r.random() < 0.6:
        files.insert(1, _converted(b, f"{stem}（盖章版）.pdf", word.data, "docx", "pdf_writer"))
    else:
        files.insert(1, File(f"{stem}（盖章扫描件）.pdf", docs.scanned_pdf(r, pages=1)))
    send(b, u, "pdf_stamped_copy", files, when, acts=truth, carries_list=True, carries_narrative=True,
         note="a stamped PDF beside the same Word file: a copy, not a second list")


# ---- archives and links --------------------------------------------------------------------------

def _zip_nested(b, u):
    r = b.rng
    when, name = _when(b), b.display(u)
    acts = make_activities(r, u, b.n_activities(u))
    word = _word(b, u, acts, when, name)
    data, truth = _std_xlsx(b, u, acts, when, name)
    inner = docs.gbk_zip([(word.name.replace("附件1：", ""), word.data), (_xlsx_name(r, name), data)])
    outer = docs.gbk_zip([(f"{name}科普月材料.zip", inner)], folder=f"{name}报送材料" if r.random() < 0.5 else "")
    send(b, u, "zip_nested", [File(f"{name}全国科普月总结材料.zip", outer)], when, acts=truth, carries_list=True,
         carries_narrative=True, note="a zip inside a zip (GBK names)")


def _archive_bytes(r, kind: str) -> bytes:
    body = bytes(r.randrange(256) for _ in range(r.randint(400, 1200)))
    if kind == "rar":
        return b"Rar!\x1a\x07\x01\x00" + body  # RAR 5 signature
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + body


def _rar_7z(alone: bool):
    def run(b, u):
        r = b.rng
        when, name = _when(b), b.display(u)
        kind = r.choice(["rar", "7z"])
        if alone:
            files = [File(f"{name}全国科普月总结材料.{kind}", _archive_bytes(r, kind))]
            send(b, u, "rar_7z_only", files, when, acts=[], carries_list=False, carries_narrative=False,
                 note=f".{kind} only: unsupported, needs review with the reason")
            return
        acts = make_activities(r, u, b.n_activities(u))
        data, truth = _std_xlsx(b, u, acts, when, name)
        files = [_word(b, u, acts, when, name), File(_xlsx_name(r, name), data),
                 File(f"{name}活动照片.{kind}", _archive_bytes(r, kind))]
        send(b, u, "rar_beside", files, when, acts=truth, carries_list=True, carries_narrative=True,
             note=f"photos in a .{kind} beside the report: skipped with a reason, the rest read")
    return run


def oversize_block(r, filename: str, when: datetime) -> str:
    size = f"{r.uniform(51, 480):.1f}M"
    expire = when + timedelta(days=15)
    stamp = f"{expire.year}年{expire.month}月{expire.day}日 {expire.hour:02d}:{expire.minute:02d}"
    token = "".join(r.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(40))
    if r.random() < 0.5:
        box = r.choice(["126", "163"])
        return (f"\n\n从网易{box}邮箱发来的超大附件\n\n{filename} ({size}, {stamp} 到期)\n"
                f"下载: https://mail.{box}.com/large-attachment-download/index.html?p={token}&file={token[:12]}\n")
    return (f"\n\n从QQ邮箱发来的超大附件\n\n{filename} ({size}, {stamp} 到期)\n"
            f"进入下载页面：https://wx.mail.qq.com/ftn/download?func=3&k={token}&key={token[::-1]}&code=\n")


def _oversize(partial: bool):
    def run(b, u):
        r = b.rng
        when, name = _when(b), b.display(u)
        clerk, phone = b.clerks[u.unit_id]
        big = f"{name}全国科普月活动总结及照片.zip" if not partial else f"{name}科普月活动总结（含图片）.docx"
        text = (f"老师您好：\n  {name}2025年全国科普月活动总结材料较大，以超大附件形式发送，请下载查收。\n\n"
                f"{name}\n{clerk}\n联系电话：{phone}\n" + oversize_block(r, big, when))
        if not partial:
            send(b, u, "oversize_link", [], when, acts=[], carries_list=False, carries_narrative=False, text=text,
                 note="超大附件 download link only: needs review with the reason")
            return
        acts = make_activities(r, u, b.n_activities(u))
        data, truth = _std_xlsx(b, u, acts, when, name)
        send(b, u, "oversize_partial", [File(_xlsx_name(r, name), data)], when, acts=truth, carries_list=True,
             carries_narrative=False, text=text, note="Excel attached, the Word report as a 超大附件 link")
    return run


# ---- units named loosely ------------------------------------------------------------------------

def name_variants(unit: Unit) -> list[str]:
    """Spellings a clerk uses that are not the registered name: suffixes, former names, loose forms."""
    n = unit.name
    out: list[str] = []
    if unit.category == "county":
        out += [f"唐山市{n}科学技术协会", f"{n}科协", f"{n}全民科学素质工作领导小组办公室",
                f"唐山市{n}全民科学素质工作领导小组办公室", f"{n}科学技术协会"]
    elif unit.category == "zone":
        out += [f"{n}科学技术协会", f"{n}科协"]
    elif unit.category == "member" and n.startswith("市"):
        out += ["唐山" + n]
        if n.endswith("委员会"):
            out.append("唐山" + n[:-2])  # 唐山市卫生健康委
    elif n.endswith("科协"):
        out.append(n[:-2] + "科学技术协会")
    elif n.startswith("唐山市"):
        out.append(n[3:])
    out += unit.aliases
    return list(dict.fromkeys(v for v in out if v != n))


def loose_variants(unit: Unit) -> list[str]:
    """Shortened forms a person still reads as this unit: 有限公司 → 公司, 委员会 → 委, 大学 dropped."""
    n, out = unit.name, []
    if "有限" in n:
        out.append(n.replace("股份有限公司", "公司").replace("有限责任公司", "公司").replace("有限公司", "公司"))
    if n.endswith("委员会"):
        out.append("唐山" + n[:-2] if n.startswith("市") else n[:-2])
    if n.endswith("管理局"):
        out.append(("唐山" if n.startswith("市") else "") + n[:-3] + "局")
    if unit.category == "society" and n.startswith("唐山市"):
        out.append("唐山市" + n[3:].replace("学会", "学会秘书处", 1) if n.endswith("学会") else n + "秘书处")
    return [v for v in dict.fromkeys(out) if v != n]


def _fuzzy_name(b, u):
    r = b.rng
    variants = name_variants(u)
    loose = loose_variants(u)
    if loose and r.random() < 0.5:
        variants = loose
    former = [a for a in u.aliases if any(old in a for old in ("唐海县", "滦县", "河北联合大学"))]
    name = r.choice(former) if former and r.random() < 0.6 else r.choice(variants or [u.name])
    when = _when(b)
    acts = make_activities(r, u, b.n_activities(u))
    kind = r.choice(["docx+xlsx", "docx_table", "xlsx"])
    pkg = b.package(u, acts, kind, when, name=name)
    sender = (r.choice([person_name(r), "小雨", "A李老师"]), qq_address(r), False)
    send(b, u, "fuzzy_name", pkg.files, when, acts=pkg.activities, carries_list=pkg.carries_list,
         carries_narrative=pkg.carries_narrative, sender=sender, name=name,
         note=f"personal address; the unit written as “{name}”")


SCENARIOS = {
    "xls_real": _legacy_sheet("xls", "xls_real", "xls"),
    "et_wps": _legacy_sheet("xls", "et_wps", "et"),
    "ods": _legacy_sheet("ods", "ods", "ods"),
    "doc_legacy": _legacy_word("doc", "doc_legacy"),
    "wps_word": _legacy_word("wps", "wps_word"),
    "xlsx_deep_header": _excel_case("xlsx_deep_header", deep_header_xlsx),
    "xlsx_total_top": _excel_case("xlsx_total_top", total_top_xlsx),
    "xlsx_multi_sheet": _excel_case("xlsx_multi_sheet", multi_sheet_xlsx),
    "xlsx_split_columns": _excel_case("xlsx_split_columns", None),
    "xlsx_start_end": _excel_case("xlsx_start_end", start_end_xlsx),
    "float_dates": _excel_case("float_dates", None),
    "serial_text": _excel_case("serial_text", None),
    "docx_merged_table": _docx_merged_table,
    "pdf_text_only": _pdf_text_only,
    "pdf_stamped_copy": _pdf_stamped_copy,
    "zip_nested": _zip_nested,
    "rar_7z_only": _rar_7z(True),
    "rar_beside": _rar_7z(False),
    "oversize_link": _oversize(False),
    "oversize_partial": _oversize(True),
    "fuzzy_name": _fuzzy_name,
}
WEIGHTS = {k: 3 for k in SCENARIOS} | {"fuzzy_name": 8, "xls_real": 4, "doc_legacy": 4, "docx_merged_table": 4}
