"""Files units attach: Word reports, Excel activity tables, zips with GBK names, scanned PDFs.

Word files are python-docx's own package (styles, theme, settings) with a generated
``word/document.xml``: building one is a string join plus a zip, about 1 ms, where
python-docx itself costs ~25 ms a file. Constant members are deflated once and reused.
Every archive gets fixed timestamps, so a seed always yields the same bytes.
"""
from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from datetime import date, datetime
from functools import lru_cache
from xml.sax.saxutils import escape

import docx
import xlsxwriter

from .activities import spell_count, spell_date, spell_format, split_online_offline
from .model import ExpectedActivity

ZIP_TIME = (2025, 9, 20, 9, 30, 0)

# ---- zip ---------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _deflate_cached(data: bytes) -> bytes:
    return _deflate(data)


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def write_zip(members: list[tuple[bytes, bytes]], *, utf8_names: bool = True,
              when: tuple = ZIP_TIME, cache: frozenset = frozenset()) -> bytes:
    """A zip archive of (name bytes, data) written by hand.

    Names are stored as given; bit 11 (names are UTF-8) is set only when utf8_names,
    which is how Windows' built-in zip and old WinRAR write GBK names. Members whose
    name is in ``cache`` are deflated once per process (template parts).
    """
    y, mo, d, h, mi, s = when
    dos_time = (h << 11) | (mi << 5) | (s // 2)
    dos_date = ((y - 1980) << 9) | (mo << 5) | d
    flags = 0x800 if utf8_names else 0
    out = io.BytesIO()
    central = []
    for name, data in members:
        is_dir = name.endswith(b"/")
        comp = b"" if is_dir else (_deflate_cached(data) if name in cache else _deflate(data))
        method = 0 if is_dir else 8
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, dos_time, dos_date,
                              crc, len(comp), len(data), len(name), 0))
        out.write(name)
        out.write(comp)
        attr = 0x10 if is_dir else 0x20
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, dos_time,
                                   dos_date, crc, len(comp), len(data), len(name), 0, 0, 0, 0, attr,
                                   offset) + name)
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def gbk_zip(files: list[tuple[str, bytes]], folder: str = "") -> bytes:
    """A zip whose member names are GBK bytes with the UTF-8 flag clear."""
    members = []
    if folder:
        members.append(((folder + "/").encode("gbk"), b""))
    for name, data in files:
        members.append(((f"{folder}/{name}" if folder else name).encode("gbk"), data))
    return write_zip(members, utf8_names=False)


# ---- Word --------------------------------------------------------------------------------------

W_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
SECT = ('<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" '
        'w:left="1588" w:header="851" w:footer="992" w:gutter="0"/><w:cols w:space="425"/>'
        '<w:docGrid w:type="lines" w:linePitch="579"/></w:sectPr>')
CORE = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{title}</dc:title>'
        '<dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy><cp:revision>3</cp:revision>'
        '<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>')


@lru_cache(maxsize=1)
def _docx_template() -> tuple[tuple[bytes, bytes], ...]:
    buf = io.BytesIO()
    docx.Document().save(buf)
    with zipfile.ZipFile(buf) as z:
        return tuple((i.filename.encode(), z.read(i)) for i in z.infolist())


def _run(text: str, *, bold=False, size=None, font=None) -> str:
    props = ""
    if font:
        props += f'<w:rFonts w:ascii="{font}" w:eastAsia="{font}" w:hAnsi="{font}"/>'
    if bold:
        props += "<w:b/>"
    if size:
        props += f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _para(runs: str, *, style=None, align=None, indent=False) -> str:
    props = ""
    if style:
        props += f'<w:pStyle w:val="{style}"/>'
    if indent:
        props += '<w:ind w:firstLineChars="200" w:firstLine="640"/>'
    if align:
        props += f'<w:jc w:val="{align}"/>'
    ppr = f"<w:pPr>{props}</w:pPr>" if props else ""
    return f"<w:p>{ppr}{runs}</w:p>"


def _table(rows: list[list[str]], widths: list[int]) -> str:
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(
            f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
            f'{_para(_run(str(v), bold=(i == 0)), align="center")}</w:tc>'
            for v, w in zip(row, widths))
        body.append(f"<w:tr>{cells}</w:tr>")
    return (f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
            f'<w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(body)}</w:tbl>')


def build_docx(blocks: list[tuple], *, styled: bool, author: str, when: datetime,
               rng: random.Random) -> bytes:
    """A .docx from blocks: ("title", s), ("heading", s), ("para", s), ("right", s), ("table", rows).

    styled=True uses Word's Title/Heading 1 styles; otherwise direct formatting the way
    government offices write (方正小标宋 title, 黑体 headings, 仿宋 body) — parsers see both.
    The title is sometimes split into two runs, as Word does after an edit.
    """
    parts = []
    for kind, value in blocks:
        if kind == "title":
            cut = rng.randint(1, max(1, len(value) - 1)) if rng.random() < 0.5 else len(value)
            if styled:
                runs = _run(value[:cut]) + (_run(value[cut:]) if value[cut:] else "")
                parts.append(_para(runs, style="Title", align="center"))
            else:
                font = "方正小标宋简体"
                runs = _run(value[:cut], size=44, font=font) + (
                    _run(value[cut:], size=44, font=font) if value[cut:] else "")
                parts.append(_para(runs, align="center"))
        elif kind == "heading":
            if styled:
                parts.append(_para(_run(value), style="Heading1"))
            else:
                parts.append(_para(_run(value, size=32, font="黑体"), indent=True))
        elif kind == "para":
            parts.append(_para(_run(value, size=None if styled else 32, font=None if styled else "仿宋_GB2312"),
                               indent=True))
        elif kind == "right":
            parts.append(_para(_run(value, size=None if styled else 32), align="right"))
        elif kind == "xml":  # a ready-made body element (a table with merged cells)
            parts.append(value)
            parts.append(_para(""))
        elif kind == "table":
            ncols = len(value[0])
            widths = [700] + [int(8400 / (ncols - 1))] * (ncols - 1)
            parts.append(_table(value, widths))
            parts.append(_para(""))
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:document {W_NS}><w:body>{"".join(parts)}{SECT}</w:body></w:document>').encode()
    title = next((v for k, v in blocks if k == "title"), "")
    core = CORE.format(title=escape(title), author=escape(author),
                       when=when.strftime("%Y-%m-%dT%H:%M:00Z")).encode()
    members, constant = [], []
    for name, data in _docx_template():
        if name == b"word/document.xml":
            data = document
        elif name == b"docProps/core.xml":
            data = core
        else:
            constant.append(name)
        members.append((name, data))
    return write_zip(members, cache=frozenset(constant))


def activity_rows_for_word(rng: random.Random, acts: list[ExpectedActivity]) -> list[list[str]]:
    rows = [["序号", "活动名称", "活动时间", "活动地点", "活动形式", "参与人数"]]
    for i, a in enumerate(acts, 1):
        rows.append([str(i), a.title, spell_date(rng, a.start_date, a.end_date),
                     a.location or "", spell_format(rng, a.format), str(spell_count(rng, a.participants))])
    return rows


# ---- Excel -------------------------------------------------------------------------------------

SYNONYMS = {
    "title": ["活动名称", "活动主题", "活动名称（主题）"],
    "date": ["活动时间", "开展时间", "举办时间"],
    "location": ["活动地点", "举办地点", "地点"],
    "format": ["活动形式", "形式", "开展形式"],
    "participants": ["参与人数", "受众人数", "参加人次", "覆盖人数"],
}
LAYOUTS = ("titled", "merged", "plain", "wps")


def build_xlsx(rng: random.Random, acts: list[ExpectedActivity], *, unit_display: str, layout: str,
               clerk: str, phone: str, when: datetime) -> tuple[bytes, bool]:
    """An activity workbook; returns (bytes, has_format_column).

    titled: title row, 填报单位 line, header in row 3, 合计 row, 填表人 footer.
    merged: the same with a two-row header, 参与人数 split into 线上/线下.
    plain:  header in row 1, no 活动形式 column (formats are then unknown).
    wps:    titled plus 主办单位/备注 columns and the empty Sheet2/Sheet3 WPS leaves behind.
    """
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"author": clerk, "created": when.replace(tzinfo=None)})
    f_title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    f_head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    f_cell = wb.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    f_date = wb.add_format({"border": 1, "num_format": rng.choice(['yyyy"年"m"月"d"日"', "yyyy/m/d", 'm"月"d"日"'])})
    sheet = wb.add_worksheet(rng.choice(["Sheet1", "科普月活动统计", "活动明细", "重点科普活动"]))
    name = lambda key: rng.choice(SYNONYMS[key])  # noqa: E731

    has_format = layout != "plain"
    head = ["序号", name("title"), name("date"), name("location")] + ([name("format")] if has_format else [])
    count_col = len(head)
    extra = ["主办单位", "备注"] if layout == "wps" else []
    title_text = f"{unit_display}2025年全国科普月重点科普活动统计表"
    row = 0
    if layout != "plain":
        width = len(head) + (2 if layout == "merged" else 1) + len(extra)
        sheet.merge_range(0, 0, 0, width - 1, title_text, f_title)
        sheet.write(1, 0, f"填报单位：{unit_display}（盖章）        填报日期：{when.month}月{when.day}日")
        row = 2
    if layout == "merged":
        for c, h in enumerate(head):
            sheet.merge_range(row, c, row + 1, c, h, f_head)
        sheet.merge_range(row, count_col, row, count_col + 1, name("participants"), f_head)
        sheet.write(row + 1, count_col, "线上", f_head)
        sheet.write(row + 1, count_col + 1, "线下", f_head)
        first = row + 2
    else:
        for c, h in enumerate(head + [name("participants")] + extra):
            sheet.write(row, c, h, f_head)
        first = row + 1

    total = 0
    splits = []
    for i, a in enumerate(acts):
        r = first + i
        sheet.write_number(r, 0, i + 1, f_cell)
        sheet.write_string(r, 1, a.title, f_cell)
        when_cell = spell_date(rng, a.start_date, a.end_date, allow_cell=True)
        if isinstance(when_cell, date):
            sheet.write_datetime(r, 2, datetime(when_cell.year, when_cell.month, when_cell.day), f_date)
        else:
            sheet.write_string(r, 2, when_cell, f_cell)
        sheet.write_string(r, 3, a.location or "", f_cell)
        if has_format:
            sheet.write_string(r, 4, spell_format(rng, a.format), f_cell)
        if layout == "merged":
            online, offline = split_online_offline(rng, a)
            splits.append((online, offline))
            for c, v in ((count_col, online), (count_col + 1, offline)):
                if v is None:
                    sheet.write_blank(r, c, None, f_cell)
                else:
                    sheet.write_number(r, c, v, f_cell)
        else:
            _write_any(sheet, r, count_col, spell_count(rng, a.participants, allow_number=True), f_cell)
        if extra:
            sheet.write_string(r, count_col + 1, unit_display, f_cell)
            sheet.write_blank(r, count_col + 2, None, f_cell)
        total += a.participants or 0

    r = first + len(acts)
    if layout != "plain":
        sheet.write_string(r, 0, "合计", f_cell)
        sheet.write_string(r, 1, f"共{len(acts)}项", f_cell)
        if layout == "merged":
            online_total = sum(split[0] or 0 for split in splits)
            sheet.write_number(r, count_col, online_total, f_cell)
            sheet.write_number(r, count_col + 1, total - online_total, f_cell)
        else:
            sheet.write_number(r, count_col, total, f_cell)
        sheet.write(r + 2, 0, f"填表人：{clerk}        联系电话：{phone}        审核人：")
    sheet.set_column(1, 1, 36)
    sheet.set_column(2, 3, 20)
    if layout == "wps":
        wb.add_worksheet("Sheet2")
        wb.add_worksheet("Sheet3")
    wb.close()
    return buf.getvalue(), has_format


def _write_any(sheet, r, c, value, fmt):
    if isinstance(value, int):
        sheet.write_number(r, c, value, fmt)
    elif value == "":
        sheet.write_blank(r, c, None, fmt)
    else:
        sheet.write_string(r, c, value, fmt)


# ---- PDF without a text layer ------------------------------------------------------------------

def scanned_pdf(rng: random.Random, pages: int = 1) -> bytes:
    """A PDF whose pages are only grey images (a phone scan of a stamped report): no text layer, and nothing
    an OCR reader could read either (paper tone with speckle), so it stays "only a scan" for the tests of the
    message path; scans with a readable table are tests/scanbuild.py's."""
    w, h = 248, 350
    objs: list[tuple[int, bytes]] = []
    kids: list[int] = []
    for p in range(pages):
        lines = bytearray()
        for y in range(h):  # the same draws as the dotted pages this generator once made, so seeds keep their mail
            lines += bytearray([235 + rng.randint(0, 12)] * w) if y % 14 > 9 or y < 30 else bytearray(
                (235 + int(rng.random() * 12) if 30 < x < w - 30 else 240) for x in range(w))
        image = zlib.compress(bytes(lines), 6)
        img_no, content_no, page_no = 4 + 3 * p, 5 + 3 * p, 6 + 3 * p
        kids.append(page_no)
        content = f"q 595 0 0 842 0 0 cm /Im{p} Do Q".encode()
        objs.append((img_no, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                     b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(image))
                     + image + b"\nendstream"))
        objs.append((content_no, b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"))
        objs.append((page_no, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                     b"/Resources << /XObject << /Im%d %d 0 R >> >> >>" % (content_no, p, img_no)))
    head = [(1, b"<< /Type /Catalog /Pages 2 0 R >>"),
            (2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{k} 0 R" for k in kids).encode(), pages)),
            (3, b"<< /Producer (Scanner PDF) /Creator (CamScanner) >>")]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for no, body in sorted(head + objs):
        offsets[no] = out.tell()
        out.write(b"%d 0 obj\n" % no + body + b"\nendobj\n")
    xref = out.tell()
    n = max(offsets) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % n)
    for no in range(1, n):
        out.write(b"%010d 00000 n \n" % offsets[no])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xref))
    return out.getvalue()
