"""Read a workbook (.xlsx/.xlsm/.xlsb/.xls/.ods) into plain rows with python-calamine.

Cells come back as calamine gives them (str, float, date, datetime, ...) with three changes:
empty cells are None, whole floats become int (Excel stores 500 as 500.0), and clock times
become "HH:MM" text. Merged ranges are filled with their top-left value, the way python-docx
repeats merged Word cells, so ``tables`` sees one shape for both.

calamine is Rust: a malformed file can raise ``PanicException``, a BaseException subclass
that ``except Exception`` misses, and one real .xls aborts the whole process (an 8 GiB allocation);
the pipeline runs this in its sandbox process for that reason.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any
from xml.etree import ElementTree as ET

import python_calamine

from parsers import ParserError

from .detect import OLE_MAGIC, is_encrypted
from .parsed import LIMIT_FLAG

ENCRYPTED = "文件设有密码，无法打开，请去掉密码后重新发送"
CORRUPT = "文件已损坏或格式无法识别"
EMPTY = "文件是空的（0 字节），请重新发送"
TOO_OLD = "Excel 版本过旧（Excel 4.0 或更早），无法读取，请用新版 Excel 或 WPS 另存为 .xlsx 后重新发送"
XML_2003 = "这是 Excel 2003 XML 格式，无法读取，请另存为 .xlsx 后重新发送"
NOT_SPREADSHEET = "文件不是 Excel 表格（可能是其他类型的文件改了扩展名）"
NO_SHEETS = "表格中没有可读取的工作表"

_ZIP_MAGIC = b"PK"
# BIFF2/3/4 BOF records at offset 0: worksheets saved by Excel 2.x-4.0, which calamine cannot read.
_OLD_BIFF_BOF = (b"\x09\x00", b"\x09\x02", b"\x09\x04")


class SpreadsheetError(ParserError):
    """The workbook cannot be read; ``str(err)`` is a reason a clerk understands."""


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)  # data left unread (a limit), for the unit and admins


def read_workbook(data: bytes, *, max_rows: int = 5000, max_cols: int = 60) -> list[Sheet]:
    """Visible worksheets of a workbook, each as rows of cell values (row 0 = sheet row 1)."""
    _refuse_known_bad(data)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        ods_merges = _ods_merges(data) if data[:2] == _ZIP_MAGIC else {}
        sheets = []
        for meta in book.sheets_metadata:
            if meta.visible != python_calamine.SheetVisibleEnum.Visible:
                continue
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows = _sheet_rows(sheet, max_rows + 1, max_cols, ods_merges.get(meta.name))
            notes = []
            if len(rows) > max_rows:
                rows = rows[:max_rows]
                notes.append(f"{LIMIT_FLAG}表格“{meta.name}”超过{max_rows}行，只读取了前{max_rows}行；"
                             "请把活动明细拆成几个表格发送")
            sheets.append(Sheet(meta.name, rows, notes))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # noqa: BLE001 - PanicException from Rust is a BaseException
        raise SpreadsheetError(_reason(err, data)) from None
    if not sheets:
        raise SpreadsheetError(NO_SHEETS)
    return sheets


def _sheet_rows(sheet: Any, max_rows: int, max_cols: int, merges: Any = None) -> list[list[Any]]:
    # iter_rows() yields rows from sheet row 0 but columns from the first used column;
    # it is lazy, so a sheet claiming 16384 columns does not build a huge list at once.
    first_col = sheet.start[1] if sheet.start else 0
    pad = [None] * min(first_col, max_cols)
    rows = []
    for raw in islice(sheet.iter_rows(), max_rows):
        cells = pad + [_cell(v) for v in raw[: max(max_cols - first_col, 0)]]
        rows.append(cells)
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    _fill_merged(rows, getattr(sheet, "merged_cell_ranges", None) or merges)
    return rows


def _cell(value: Any) -> Any:
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (datetime, date, int, float)):
        return value
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):  # a duration or a time of day past 24 h
        return str(value)
    return str(value)


def _fill_merged(rows: list[list[Any]], ranges: Any) -> None:
    """Copy the top-left value of each merged range into its other cells (within the grid)."""
    if not ranges or not rows:
        return
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if value is None:
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if row[c] is None:
                    row[c] = value


# calamine gives no merged ranges for .ods: they are read from content.xml's spans
_ODS_MAX_XML = 64 * 1024 * 1024
_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
Merge = tuple[tuple[int, int], tuple[int, int]]


def _ods_merges(data: bytes) -> dict[str, list[Merge]]:
    """{sheet name: merged ranges} of an OpenDocument spreadsheet; {} for anything else or on doubt."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("content.xml")
            if info.file_size > _ODS_MAX_XML:
                return {}
            xml = zf.read(info)
        if b"<!DOCTYPE" in xml[:4096]:  # no entities from a file a stranger sent
            return {}
        return _spans_in(io.BytesIO(xml))
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError, ET.ParseError):
        return {}


def _spans_in(xml: Any) -> dict[str, list[Merge]]:
    found: dict[str, list[Merge]] = {}
    sheet, row, col = "", -1, 0
    for event, el in ET.iterparse(xml, events=("start", "end")):
        if event == "start" and el.tag == _T + "table":
            sheet, row = el.get(_T + "name", ""), -1
            found.setdefault(sheet, [])
        elif event == "start" and el.tag == _T + "table-row":
            row, col = row + 1, 0
        elif event == "end" and el.tag == _T + "table-row":
            row += int(el.get(_T + "number-rows-repeated", "1")) - 1
            el.clear()
        elif event == "start" and el.tag in (_T + "table-cell", _T + "covered-table-cell"):
            rows = int(el.get(_T + "number-rows-spanned", "1"))
            cols = int(el.get(_T + "number-columns-spanned", "1"))
            if rows > 1 or cols > 1:
                found[sheet].append(((row, col), (row + rows - 1, col + cols - 1)))
            col += int(el.get(_T + "number-columns-repeated", "1"))
    return found


# --- reasons -------------------------------------------------------------------------------

def _refuse_known_bad(data: bytes) -> None:
    """Name the failures calamine would only call "Cannot detect file format"."""
    if not data:
        raise SpreadsheetError(EMPTY)
    head = data[:8]
    if head.startswith((OLE_MAGIC, _ZIP_MAGIC)):
        if is_encrypted(data):
            raise SpreadsheetError(ENCRYPTED)
        return
    if head[:2] in _OLD_BIFF_BOF and len(data) > 4:
        raise SpreadsheetError(TOO_OLD)
    if b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]:
        raise SpreadsheetError(XML_2003)


def _reason(err: BaseException, data: bytes) -> str:
    if isinstance(err, python_calamine.PasswordError):
        return ENCRYPTED
    if "password" in str(err).lower():
        return ENCRYPTED
    if data[:2] == _ZIP_MAGIC and _is_other_zip(data):
        return NOT_SPREADSHEET
    return CORRUPT


def _is_other_zip(data: bytes) -> bool:
    """A readable zip with none of the parts a workbook has (a .docx or a plain archive)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n.lower() for n in zf.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError):
        return False
    if not names:
        return False
    return not any(n.startswith("xl/") or n == "content.xml" or n.endswith("workbook.xml") for n in names)
