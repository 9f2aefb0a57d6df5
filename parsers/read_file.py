"""One attachment into FileResults: detect the type, read it, pull out activity tables.

``extract_file`` never raises: whatever goes wrong becomes a FileResult with status
"failed" (or "skipped" for files we do not read on purpose) and a reason in Chinese that a
clerk at the unit and the admins both understand. A ZIP yields one result for itself followed
by the results of its members.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import date, datetime
from xml.sax.saxutils import escape

from .cards import prose_cards
from .detect import OLE_MAGIC, detect_kind, ole_streams
from .docx import DocxContent, DocxError, read_docx
from .htmltables import html_tables
from .legacy import LegacyError, legacy_to_docx, legacy_to_text
from .mailtext import html_to_text, utf8_or_gb18030
from .parsed import FileResult
from .pdf import PdfError, read_pdf, text_tables
from .prose import propose_from_paragraphs, propose_from_text, propose_from_wrapped_text
from .scan_files import read_docx_pictures, read_image_file, read_pdf_scan
from .spreadsheet import SpreadsheetError, read_workbook
from .tables import extract_activities, rank_of
from .texttables import tables_in_text
from .tnef import TnefError, unpack_tnef
from .zipread import ArchiveError, open_zip

TEXT_CAP = 20_000

EMPTY = "文件是空的（0字节），请重新添加附件后发送"
ENCRYPTED = "文件设有密码，无法打开，请去掉密码后重新发送"
OLD_WORD = "无法读取旧版Word文件，请另存为.docx后重新发送"
BROKEN_WORD = "Word文件已损坏，无法打开，请在Word或WPS中重新保存后发送"
OLD_WORD_TEXT_ONLY = "旧版Word文件只读取了文字，其中的表格未能读取；如有活动表格，请另存为.docx后重新发送"
SCAN = "扫描件，请补发Word/Excel版"
RAR_7Z = "暂不支持RAR/7z压缩包，请改用ZIP或直接添加附件"
OTHER_ARCHIVE = "暂不支持这种压缩格式，请改用ZIP或直接添加附件"
TOO_DEEP = "压缩包嵌套层数过多，未继续解开，请直接添加附件"
PDF_TABLES = "PDF中的表格未能读取（文件结构异常），只读取了文字"
SLIDES = "演示文稿（PPT）不作解析，请把活动情况整理成Word或Excel发送"
MAIL_FILE = "附件是一封邮件文件，未解析，请直接转发原邮件或添加附件"
OWNER_FILE = "这是Office打开文档时产生的临时文件（~$开头），不是报告本身，请发送正式文件"
UNSUPPORTED = "不支持的文件类型"
INTERNAL = "文件读取出错，请检查文件能否正常打开，必要时另存后重新发送"
MEMORY = "文件解析时超出内存限制，文件可能已损坏或过大"

SPREADSHEET_KINDS = ("xlsx", "xlsm", "xlsb", "xls", "ods", "et")


def extract_file(name: str, data: bytes, content_type: str = "", *, depth: int = 0,
                 max_depth: int = 3) -> list[FileResult]:
    kind = "other"
    try:
        kind = detect_kind(name, data, content_type)
        return _extract(name, data, content_type, kind, depth, max_depth)
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:
        return [_result(name, data, kind, "failed", MEMORY)]
    except BaseException:  # noqa: BLE001 - a Rust panic in a reader is a BaseException
        return [_result(name, data, kind, "failed", INTERNAL)]


def _extract(name: str, data: bytes, content_type: str, kind: str, depth: int,
             max_depth: int) -> list[FileResult]:
    if not data:
        return [_result(name, data, kind, "failed", EMPTY)]
    if kind in SPREADSHEET_KINDS:
        return [_spreadsheet(name, data, kind)]
    if kind == "docx":
        return [_docx(name, data, kind)]
    if kind == "image":
        return [_image(name, data)]
    if kind in ("doc", "wps", "odt"):
        return [_legacy(name, data, kind)]
    if kind == "pdf":
        return [_pdf(name, data)]
    if kind == "zip":
        if depth >= max_depth:
            return [_result(name, data, kind, "skipped", TOO_DEEP)]
        return _zip(name, data, depth, max_depth)
    if kind == "tnef":
        if depth >= max_depth:
            return [_result(name, data, kind, "skipped", TOO_DEEP)]
        return _tnef(name, data, depth, max_depth)
    if kind == "text":
        return [_text(name, data)]
    if kind == "encrypted":
        return [_result(name, data, kind, "failed", ENCRYPTED)]
    reason = {"rar": RAR_7Z, "7z": RAR_7Z, "gz": OTHER_ARCHIVE, "pptx": SLIDES,
              "ppt": SLIDES, "eml": MAIL_FILE, "msg": MAIL_FILE}.get(kind, UNSUPPORTED)
    if reason == UNSUPPORTED and _basename(name).startswith("~$"):
        reason = OWNER_FILE
    return [_result(name, data, kind, "skipped", reason)]


def _result(name: str, data: bytes, kind: str, status: str, error: str | None = None) -> FileResult:
    return FileResult(name=name, kind=kind, status=status, error=error, size=len(data),
                      sha256=hashlib.sha256(data).hexdigest())


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


# --- spreadsheets -----------------------------------------------------------------------------

def _spreadsheet(name: str, data: bytes, kind: str) -> FileResult:
    try:
        sheets = read_workbook(data)
    except SpreadsheetError as e:
        return _result(name, data, kind, "failed", str(e))
    result = _result(name, data, kind, "parsed")
    lines: list[str] = []
    for sheet in sheets:
        result.notes += sheet.notes
        _add_activities(result, sheet.rows, f"{name}!{sheet.name}", rank_of(sheet.name))
        if result.title is None:
            result.title = _sheet_title(sheet.rows)
        lines += ["\t".join(_cell_text(c) for c in row if _cell_text(c)) for row in sheet.rows]
    result.text = _cap("\n".join(line for line in lines if line))
    return result


def _sheet_title(rows: list[list]) -> str | None:
    """A title row: among the first three, one holding a single text cell."""
    for row in rows[:3]:
        cells = [c for c in row if _cell_text(c)]
        if len(cells) == 1 and isinstance(cells[0], str) and len(cells[0].strip()) >= 4:
            return cells[0].strip()
    return None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).strip()


def _add_activities(result: FileResult, rows: list[list], source: str, rank: str | None = None) -> None:
    """``rank``: what the sheet's name says ("一般活动" -> general), unless a row's own column or section says otherwise."""
    activities, notes = extract_activities(rows, source, rank or "key")
    if activities:
        result.tables_found += 1
        result.activities += activities
    result.notes += notes


# --- Word -------------------------------------------------------------------------------------

def _docx(name: str, data: bytes, kind: str) -> FileResult:
    try:
        content = read_docx(data)
    except DocxError as e:
        return _result(name, data, kind, "failed", str(e))
    result = _from_docx(_result(name, data, kind, "parsed"), content, name)
    if not result.activities:
        read_docx_pictures(result, data)
    return result


def _from_docx(result: FileResult, content: DocxContent, name: str) -> FileResult:
    result.title = content.title
    result.narrative = dict(content.narrative)
    result.notes += content.notes
    # Table cells count as text too: some reports are one big table.
    table_lines = ["\t".join(c for c in row if c) for table in content.tables for row in table]
    result.text = _cap("\n".join(content.paragraphs + [line for line in table_lines if line]))
    for i, table in enumerate(content.tables, 1):
        _add_activities(result, table, f"{name}!表{i}")
    if not result.activities:  # 活动名称：… lines in the body, one block per activity
        activities, notes = prose_cards(content.paragraphs, f"{name}!正文")
        result.activities += activities
        result.notes += notes
    if not result.activities:  # no activity table: the numbered paragraphs may tell the activities
        result.proposed = propose_from_paragraphs(content.paragraphs, f"{_basename(name)} 正文")
    return result


def _legacy(name: str, data: bytes, kind: str) -> FileResult:
    if data.startswith(OLE_MAGIC) and "worddocument" not in ole_streams(data):
        # Named .doc but no Word stream inside: LibreOffice would import the bytes as text.
        return _result(name, data, kind, "failed", BROKEN_WORD)
    try:
        converted = legacy_to_docx(data, kind)
    except LegacyError:
        converted = None
    if converted:
        try:
            result = _from_docx(_result(name, data, kind, "parsed"), read_docx(converted), name)
        except DocxError:
            result = None
        if result is not None:
            if not result.activities and kind != "odt":
                _add_text_tables(result, legacy_to_text(data, kind) or "", name)
            return result
    text = legacy_to_text(data, kind) if kind != "odt" else None
    if not text or not text.strip():
        return _result(name, data, kind, "failed", OLD_WORD)
    result = _result(name, data, kind, "parsed")
    try:  # the .docx reader finds the title and sections in plain paragraphs too
        content = read_docx(text_to_docx(text))
        result.title, result.narrative = content.title, dict(content.narrative)
    except DocxError:
        pass
    result.text = _cap(text.strip())
    _add_text_tables(result, text, name)
    if not result.activities:
        result.notes.append(OLD_WORD_TEXT_ONLY)
        result.proposed = propose_from_text(text, f"{_basename(name)} 正文")
    return result


def _add_text_tables(result: FileResult, text: str, name: str) -> None:
    """LibreOffice can lose a .doc table (one in a text frame) that antiword still prints cell by
    cell: a conversion without a table is no proof there is none, so the text's own tables are read."""
    for i, rows in enumerate(tables_in_text(text), 1):
        _add_activities(result, rows, f"{name}!文本表{i}")


def text_to_docx(text: str) -> bytes:
    """A minimal .docx holding one paragraph per line of ``text``."""
    paras = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(line.strip())}</w:t></w:r></w:p>'
        for line in text.splitlines() if line.strip() and not re.fullmatch(r"[\s|\-+]*", line))
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{paras}</w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", _strip_invalid_xml(document))
    return buf.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def _strip_invalid_xml(text: str) -> str:
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)


# --- PDF, text --------------------------------------------------------------------------------

def _pdf(name: str, data: bytes) -> FileResult:
    try:
        content = read_pdf(data)
    except PdfError as e:
        return _result(name, data, "pdf", "failed", str(e))
    result = _result(name, data, "pdf", "parsed")
    result.text = _cap(content.text)
    if content.is_scan:
        # OCR'd rows are proposals a person confirms; nothing read means the unit sends the table again
        read_pdf_scan(result, data, content.pages)
        if not result.proposed:
            result.notes.append(SCAN)
        return result
    # A table in a PDF exported from Word is as trustworthy as the Word table: plain activities
    try:
        tables = text_tables(data)
    except Exception:  # noqa: BLE001 - pdfminer fails in many ways on odd files; the text is still read
        tables = []
        result.notes.append(PDF_TABLES)
    for page, rows in tables:
        _add_activities(result, rows, f"{name}!第{page}页")
    if not result.activities:
        result.proposed = propose_from_wrapped_text(content.text, f"{_basename(name)} 正文")
    return result


def _image(name: str, data: bytes) -> FileResult:
    result = _result(name, data, "image", "parsed")
    read_image_file(result, data)
    return result


def _text(name: str, data: bytes) -> FileResult:
    text = decode_text(data)
    result = _result(name, data, "text", "parsed")
    if re.search(r"<(html|body|table|div|p)\b", text[:5000], re.I):
        # web systems hand out HTML as .xls ("导出Excel"); its tables are read like a sheet's
        for i, rows in enumerate(html_tables(text), 1):
            _add_activities(result, rows, f"{name}!表{i}")
        text = html_to_text(text)
    result.text = _cap(text.strip())
    if not result.activities:
        result.proposed = propose_from_text(result.text, f"{_basename(name)} 正文")
    return result


def decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return utf8_or_gb18030(data) or data.decode("gb18030", "replace")


def _cap(text: str) -> str:
    return text[:TEXT_CAP]


# --- archives ---------------------------------------------------------------------------------

def _zip(name: str, data: bytes, depth: int, max_depth: int) -> list[FileResult]:
    try:
        members, notes = open_zip(data)
    except ArchiveError as e:
        return [_result(name, data, "zip", "failed", str(e))]
    if not members:
        return [_result(name, data, "zip", "failed", notes[0] if notes else "压缩包内没有文件")]
    head = _result(name, data, "zip", "parsed")
    head.notes += notes
    head.text = "\n".join(m.name for m in members)
    results = [head]
    for member in members:
        results += extract_file(f"{name}/{member.name}", member.data, "", depth=depth + 1,
                                max_depth=max_depth)
    return results


def _tnef(name: str, data: bytes, depth: int, max_depth: int) -> list[FileResult]:
    """Outlook's winmail.dat: one result for itself, then each file it carries, read like any attachment."""
    try:
        carried = unpack_tnef(data)
    except TnefError as e:
        return [_result(name, data, "tnef", "failed", str(e))]
    if not carried:
        return [_result(name, data, "tnef", "skipped", "Outlook的winmail.dat中没有附件（只有邮件正文格式信息）")]
    head = _result(name, data, "tnef", "parsed")
    head.text = "\n".join(c.name for c in carried)
    results = [head]
    for member in carried:
        results += extract_file(f"{name}/{member.name}", member.data, "", depth=depth + 1, max_depth=max_depth)
    return results
