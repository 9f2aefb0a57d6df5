"""Office files written by LibreOffice from text sources, for tests on files our generator did not make.

A test writes a table as text it can read (an HTML table, flat ODF XML, CSV), and LibreOffice
headless turns it into what a unit's office suite saves (.xlsx, .xls, .ods, .docx, .doc, .rtf),
merged cells and all. ``convert`` runs one soffice call per (source format, target) and caches
the results by content hash in the samples cache folder, so a machine converts each file once.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

from samples.convert import cache_dir, run_soffice, soffice

# target extension -> soffice export filter
EXPORT = {"xlsx": "xlsx:Calc Office Open XML", "xls": "xls:MS Excel 97", "ods": "ods",
          "docx": "docx:MS Word 2007 XML", "doc": "doc:MS Word 97", "rtf": "rtf:Rich Text Format",
          "pdf": "pdf:writer_pdf_Export"}  # pdf: the text-layer PDF a unit exports, and the page a scan is made of
# source extension -> import filter forced on it (None: LibreOffice's own detection)
IMPORT = {"csv": "CSV:44,34,76", "fods": None, "fodt": None}
IMPORT_HTML = {"calc": "HTML (StarCalc)", "writer": "HTML (StarWriter)"}


def available() -> bool:
    return soffice() is not None


def convert(sources: dict[str, bytes], target: str, infilter: str | None = None,
            timeout: float = 180) -> dict[str, bytes]:
    """{name: converted bytes} for {name: source bytes}; names carry the source extension."""
    cache = cache_dir()
    tag = hashlib.sha256(f"{EXPORT[target]}|{infilter}".encode()).hexdigest()[:8]
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in sources.items()}
    path = {name: cache / f"lo-{d}-{tag}.{target}" for name, d in digests.items()}
    todo = {name: data for name, data in sources.items() if not path[name].is_file()}
    if todo:
        work = Path(tempfile.mkdtemp(prefix="lobuild-"))
        try:
            srcs = []
            for name, data in todo.items():
                src = work / f"{digests[name]}.{name.rsplit('.', 1)[-1]}"
                src.write_bytes(data)
                srcs.append(str(src))
            out = run_soffice(soffice(), work, srcs, EXPORT[target], timeout, infilter)
            for name in todo:
                made = out / f"{digests[name]}.{target}"
                if not made.is_file() or made.stat().st_size == 0:
                    raise RuntimeError(f"soffice did not convert {name} to {target}")
                tmp = path[name].with_suffix(".tmp")
                tmp.write_bytes(made.read_bytes())
                os.replace(tmp, path[name])
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return {name: path[name].read_bytes() for name in sources}


# --- sources ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class M:
    """A merged cell: ``text`` spanning ``rows`` x ``cols``; the cells it covers are written as COVER."""

    value: object
    rows: int = 1
    cols: int = 1


COVER = object()


def html_table(rows: list[list], title: str = "") -> bytes:
    """An HTML page with one bordered table (rowspan/colspan from M cells; COVER cells left out)."""
    lines = ['<html><head><meta charset="utf-8"></head><body>']
    if title:
        lines.append(f"<p>{escape(title)}</p>")
    lines.append('<table border="1">')
    for row in rows:
        cells = []
        for cell in row:
            if cell is COVER:
                continue
            m = cell if isinstance(cell, M) else M(cell)
            span = (f' rowspan="{m.rows}"' if m.rows > 1 else "") + (f' colspan="{m.cols}"' if m.cols > 1 else "")
            cells.append(f"<td{span}>{escape(_text(m.value))}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table></body></html>")
    return "\n".join(lines).encode("utf-8")


_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')


def fods(sheets: dict[str, list[list]]) -> bytes:
    """A flat ODF spreadsheet: str cells are text, int cells numbers, date cells real dates."""
    body = "".join(f'<table:table table:name="{escape(name)}">{_odf_rows(rows)}</table:table>'
                   for name, rows in sheets.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<office:document {_NS} office:mimetype="application/vnd.oasis.opendocument.spreadsheet">'
            f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document>"
            ).encode("utf-8")


def fodt(paragraphs: list[str], rows: list[list], after: list[str] = ()) -> bytes:
    """A flat ODF text document: paragraphs, one table, more paragraphs."""
    width = max(sum(c.cols if isinstance(c, M) else 1 for c in row if c is not COVER) for row in rows)
    paras = lambda texts: "".join(f"<text:p>{escape(t)}</text:p>" for t in texts)  # noqa: E731
    table = (f'<table:table table:name="活动表"><table:table-column table:number-columns-repeated="{width}"/>'
             f"{_odf_rows(rows)}</table:table>")
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<office:document {_NS} office:mimetype="application/vnd.oasis.opendocument.text">'
            f"<office:body><office:text>{paras(paragraphs)}{table}{paras(after)}</office:text></office:body>"
            "</office:document>").encode("utf-8")


def csv_text(rows: list[list]) -> bytes:
    return "\n".join(",".join(_text(c) for c in row) for row in rows).encode("utf-8") + b"\n"


def _odf_rows(rows: list[list]) -> str:
    out = []
    for row in rows:
        cells = []
        for cell in row:
            if cell is COVER:
                cells.append("<table:covered-table-cell/>")
                continue
            m = cell if isinstance(cell, M) else M(cell)
            span = ((f' table:number-rows-spanned="{m.rows}"' if m.rows > 1 else "")
                    + (f' table:number-columns-spanned="{m.cols}"' if m.cols > 1 else ""))
            cells.append(f"<table:table-cell{span}{_odf_value(m.value)}</table:table-cell>")
        out.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    return "".join(out)


def _odf_value(value) -> str:
    if value is None or value == "":
        return ">"
    if isinstance(value, date):
        return f' office:value-type="date" office:date-value="{value.isoformat()}"><text:p>{value.isoformat()}</text:p>'
    if isinstance(value, int):
        return f' office:value-type="float" office:value="{value}"><text:p>{value}</text:p>'
    return f' office:value-type="string"><text:p>{escape(str(value))}</text:p>'


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)
