"""Turn the sources of files.py into the Word/Excel files a unit sends (LibreOffice), and into mails.

A Word source is a list of blocks: a str is a paragraph, a list of rows is a bordered table, PAGE is a page
break. Spreadsheets come from flat ODF (real date and number cells) or HTML (every cell typed as text).
WPS's .et and .wps are the BIFF8 workbook and Word 97 document WPS writes under its own extensions.
"""
from __future__ import annotations

import urllib.parse
from html import escape

import lobuild as lo
import mailbuild as mb
from lobuild import COVER, M

PAGE = object()

MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls": "application/vnd.ms-excel", "et": "application/octet-stream", "doc": "application/msword",
        "wps": "application/octet-stream", "ods": "application/vnd.oasis.opendocument.spreadsheet"}
SAVED_AS = {"et": "xls", "wps": "doc"}


def html_blocks(blocks: list) -> bytes:
    out = ['<html><head><meta charset="utf-8"></head><body>']
    for block in blocks:
        if block is PAGE:
            out.append('<p style="page-break-before: always"></p>')
        elif isinstance(block, str):
            out.append(f"<p>{escape(block)}</p>")
        else:
            out.append('<table border="1">')
            for row in block:
                cells = []
                for cell in row:
                    if cell is COVER:
                        continue
                    m = cell if isinstance(cell, M) else M(cell)
                    span = ((f' rowspan="{m.rows}"' if m.rows > 1 else "")
                            + (f' colspan="{m.cols}"' if m.cols > 1 else ""))
                    text = "" if m.value is None else str(m.value)
                    cells.append(f"<td{span}>{escape(text)}</td>")
                out.append("<tr>" + "".join(cells) + "</tr>")
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")


def make_file(spec: dict) -> bytes:
    """spec: {"ext": target, "word": blocks} or {"ext": target, "sheets": {name: rows}} or {"ext", "html_sheet": rows}."""
    ext = spec["ext"]
    target = SAVED_AS.get(ext, ext)
    if "word" in spec:
        source = {"a.html": html_blocks(spec["word"])}
        return lo.convert(source, target, lo.IMPORT_HTML["writer"])["a.html"]
    if "html_sheet" in spec:
        source = {"a.html": html_blocks([spec["html_sheet"]])}
        return lo.convert(source, target, lo.IMPORT_HTML["calc"])["a.html"]
    return lo.convert({"a.fods": lo.fods(spec["sheets"])}, target)["a.fods"]


def make_mail(number: int, unit_name: str, address: str, filename: str, data: bytes, ext: str) -> bytes:
    body = mb.text_part(f"市素质办：\n    附件是{unit_name}全国科普月活动总结及活动情况统计表，请查收。\n{unit_name}\n")
    quoted = urllib.parse.quote(filename)
    attachment = mb.file_part(data, f'{MIME[ext]}; name="{mb.b_word(filename)}"',
                              f"attachment; filename*=UTF-8''{quoted}")
    return mb.mail(mb.multipart("mixed", [body, attachment]), subject=mb.b_word(f"{unit_name}科普月活动总结"),
                   from_=f"{mb.b_word(unit_name)} <{address}>", to="tskxpjb@126.com",
                   date=f"Mon, 22 Sep 2025 {9 + number % 8:02d}:{number:02d}:00 +0800",
                   message_id=f"<blind{number:02d}@units.example.cn>")
