"""read_workbook on generated workbooks and on the real-world corpus (isolated per child process)."""
from __future__ import annotations

import io
import os
import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path

import officebuild as ob
import pytest
from corpus import CORPUS as _ROOT

from parsers import spreadsheet
from parsers.spreadsheet import Sheet, SpreadsheetError, read_workbook

CORPUS = _ROOT / "office"
SHEET_EXTS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".et", ".xml", ".zip", ".ooxml"}


def corpus_file(name: str) -> bytes:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus file {path} not available (the project stands alone without ../shared)")
    return path.read_bytes()


def test_visible_worksheets_in_order_hidden_skipped():
    sheets = read_workbook(ob.activity_workbook())
    assert [s.name for s in sheets] == ["填表说明", ob.MAIN_SHEET, ob.REORDERED_SHEET, "联系人"]
    assert all(isinstance(s, Sheet) for s in sheets)


def test_merged_cells_repeat_their_value():
    main = read_workbook(ob.activity_workbook())[1].rows
    assert set(main[0]) == {"XX区全国科普月重点活动统计表"}  # A1:I1
    assert main[2][5:7] == ["参与人数", "参与人数"]  # F3:G3 across
    assert main[3][:5] == ["序号", "活动名称", "活动时间", "活动地点", "活动形式"]  # A3:A4 ... down
    assert main[3][5:7] == ["线上", "线下"]
    assert main[12] == ["注：参与人数请填写阿拉伯数字。"] * 9


def test_cell_types_and_sheet_coordinates():
    rows = read_workbook(ob.typed_workbook())[0].rows
    # row 0 is sheet row 1 and column 0 is column A, even though data starts at B3
    assert rows[0] == [None] * 6 and rows[1] == [None] * 6
    assert rows[2] == [None, "文本", 500, 9.1, date(2025, 9, 15), datetime(2025, 9, 15, 9, 30)]
    assert type(rows[2][2]) is int  # Excel stores 500 as 500.0
    assert rows[3][1:4] == ["合并"] * 3 and rows[4][1:4] == ["合并"] * 3  # B4:D5
    assert rows[4][4] == "尾"


def test_row_and_column_limits():
    sheets = read_workbook(ob.big_workbook(rows=50, cols=80), max_rows=10, max_cols=5)
    rows = sheets[0].rows
    assert len(rows) == 10 and all(len(r) == 5 for r in rows)
    assert rows[9][4] == "R9C4"


@pytest.mark.parametrize("data, reason", [
    (b"", spreadsheet.EMPTY),
    (b"just some text, not a workbook at all\n" * 20, spreadsheet.CORRUPT),
    (os.urandom(4096), spreadsheet.CORRUPT),
    (b"\x09\x00\x04\x00\x02\x00\x10\x00" + bytes(64), spreadsheet.TOO_OLD),  # Excel 2.x BOF
    (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
     spreadsheet.XML_2003),
])
def test_unreadable_input_gives_a_reason(data, reason):
    with pytest.raises(SpreadsheetError) as err:
        read_workbook(data)
    assert str(err.value) == reason


def test_truncated_workbook_is_corrupt():
    data = ob.activity_workbook()
    with pytest.raises(SpreadsheetError) as err:
        read_workbook(data[: len(data) // 2])
    assert str(err.value) == spreadsheet.CORRUPT


def test_word_document_is_not_a_spreadsheet():
    with pytest.raises(SpreadsheetError) as err:
        read_workbook(ob.summary_docx())
    assert str(err.value) == spreadsheet.NOT_SPREADSHEET


def test_encrypted_ods_manifest():
    # An encrypted .ods is a zip whose manifest lists encryption-data for content.xml.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml",
                    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                    '<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/>'
                    "</manifest:file-entry></manifest:manifest>")
        zf.writestr("content.xml", os.urandom(200))
    with pytest.raises(SpreadsheetError) as err:
        read_workbook(buf.getvalue())
    assert str(err.value) == spreadsheet.ENCRYPTED


@pytest.mark.parametrize("name", [
    "poi__protected_passtika.xlsx",  # OLE EncryptedPackage
    "edr__agile_AES128_SHA1_CBC_pwd_password.xlsb",
    "poi__password.xls",  # RC4 FILEPASS
    "poi__xor-encryption-abc.xls",  # XOR FILEPASS
    "edr__Test_git_issue_477_crypto_keylength40.xls",  # WRITEPROT before FILEPASS
    "cal__pass_protected.ods",
])
def test_encrypted_corpus_files(name):
    with pytest.raises(SpreadsheetError) as err:
        read_workbook(corpus_file(name))
    assert str(err.value) == spreadsheet.ENCRYPTED


def test_rust_panic_becomes_spreadsheet_error():
    # calamine panics on this .xlsb; PanicException is a BaseException, not an Exception.
    with pytest.raises(SpreadsheetError):
        read_workbook(corpus_file("poi__Simple.xlsb"))


def test_strict_ooxml_and_old_xls_read():
    strict = read_workbook(corpus_file("edr__strict__Test_MergedCell.xlsx"))
    assert strict[0].rows[1][:2] == ["Merge Cell 1", "Merge Cell 1"]
    provinces = read_workbook(corpus_file("poi__chinese-provinces.xls"))
    assert any("北京" in str(v) for row in provinces[0].rows for v in row)


def test_every_corpus_file_returns_or_raises_spreadsheet_error():
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} not available")
    paths = sorted(str(p) for p in CORPUS.iterdir() if p.suffix.lower() in SHEET_EXTS)
    results = ob.run_isolated(paths, "parsers.spreadsheet", "read_workbook", "SpreadsheetError")
    assert len(results) == len(paths)
    wrong = {Path(p).name: out for p, out in results.items() if out.startswith(("raised", "worker"))}
    assert not wrong, wrong
    died = {Path(p).name: out for p, out in results.items() if out.startswith(("crash", "timeout"))}
    if died:
        # Known: edr__Test_git_issue_382_oom.xls (calamine OOM abort). The pipeline's sandbox
        # isolates these in production; here we only make them visible.
        warnings.warn(f"calamine killed the child process on: {died}", stacklevel=2)
    assert set(died) <= {"edr__Test_git_issue_382_oom.xls"}, died
    ok = sum(out == "ok" for out in results.values())
    assert ok >= len(paths) // 2  # most real files read
