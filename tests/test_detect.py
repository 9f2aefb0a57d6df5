"""detect_kind: file type by content, the extension only breaking ties."""
import gzip
import io
import os
import struct
import zipfile

import docx
import openpyxl
import pytest
from corpus import CORPUS
from officebuild_ole import biff_workbook, build_ole, word_fib
from officebuild_zip import Entry, build_zip

from parsers.detect import detect_kind, ole_streams


def make_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("唐山市科普日活动总结")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["活动名称", "时间"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_odf(mimetype: str, encrypted: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", "<office:document-content/>")
        manifest = "<manifest:encryption-data/>" if encrypted else "<manifest:manifest/>"
        zf.writestr("META-INF/manifest.xml", manifest)
    return buf.getvalue()


# --- OOXML, ODF and plain ZIP -----------------------------------------------------------------

def test_docx_and_xlsx_by_content_whatever_the_name():
    assert detect_kind("总结.docx", make_docx()) == "docx"
    assert detect_kind("总结.zip", make_docx()) == "docx"
    assert detect_kind("noname", make_docx()) == "docx"
    assert detect_kind("活动.xlsx", make_xlsx()) == "xlsx"
    assert detect_kind("活动.xls", make_xlsx()) == "xlsx"  # an .xlsx renamed .xls
    assert detect_kind("活动.xlsm", make_xlsx()) == "xlsx"  # the content type says no macros


def test_main_part_found_through_content_types_not_folder_name():
    content_types = (b'<Types><Override PartName="/doc/main.xml" ContentType="application/'
                     b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    data = build_zip([Entry("[Content_Types].xml", content_types), Entry("doc/main.xml", b"<w:document/>")])
    assert detect_kind("a.docx", data) == "docx"


def test_truncated_docx_still_recognised_from_local_headers():
    data = make_docx()
    assert detect_kind("a.docx", data[: len(data) // 2]) == "docx"


def test_odf_and_encrypted_odf():
    assert detect_kind("a.ods", make_odf("application/vnd.oasis.opendocument.spreadsheet")) == "ods"
    assert detect_kind("a.odt", make_odf("application/vnd.oasis.opendocument.text")) == "odt"
    assert detect_kind("a.ods", make_odf("application/vnd.oasis.opendocument.spreadsheet", True)) == "encrypted"


def test_plain_zip_and_empty_zip():
    assert detect_kind("材料.zip", build_zip([Entry("a.txt", b"x"), Entry("b/c.docx", make_docx())])) == "zip"
    assert detect_kind("材料.zip", build_zip([])) == "zip"
    assert detect_kind("材料.zip", b"PK\x03\x04" + bytes(40)) == "zip"


def test_broken_or_empty_package_keeps_its_office_extension():
    """So the Word/Excel reader reports a damaged file, not a damaged archive."""
    assert detect_kind("活动.xlsx", build_zip([])) == "xlsx"
    assert detect_kind("总结.docx", b"PK\x03\x04" + bytes(40)) == "docx"
    assert detect_kind("总结.docx", build_zip([Entry("a.txt", b"x")])) == "zip"  # a real archive, renamed


# --- OLE2 ---------------------------------------------------------------------------------------

def test_ole_directory_decides_doc_xls_wps_et_msg():
    doc = build_ole([("WordDocument", word_fib()), ("1Table", b"")])
    xls = build_ole([("Workbook", biff_workbook())])
    assert detect_kind("总结.doc", doc) == "doc"
    assert detect_kind("总结.wps", doc) == "wps"
    assert detect_kind("总结", doc) == "doc"
    assert detect_kind("活动.xls", xls) == "xls"
    assert detect_kind("活动.et", xls) == "et"
    assert detect_kind("活动.doc", xls) == "xls"  # content wins over a wrong extension
    assert detect_kind("old.xls", build_ole([("Book", biff_workbook())])) == "xls"  # Excel 5/95
    assert detect_kind("mail.msg", build_ole([("__substg1.0_0037001F", "主题".encode("utf-16-le"))])) == "msg"
    assert detect_kind("a.ppt", build_ole([("PowerPoint Document", b"")])) == "ppt"


def test_ole_directory_reader_names_streams():
    streams = ole_streams(build_ole([("WordDocument", word_fib()), ("1Table", b"x")]))
    assert {"root entry", "worddocument", "1table"} <= set(streams)


def test_encrypted_office_files():
    encrypted_ooxml = build_ole([("EncryptionInfo", b"\x04\x00\x04\x00"), ("EncryptedPackage", b"")])
    assert detect_kind("总结.docx", encrypted_ooxml) == "encrypted"
    assert detect_kind("活动.xlsx", encrypted_ooxml) == "encrypted"
    assert detect_kind("总结.doc", build_ole([("WordDocument", word_fib(encrypted=True))])) == "encrypted"
    assert detect_kind("活动.xls", build_ole([("Workbook", biff_workbook(encrypted=True))])) == "encrypted"


def test_doc_with_embedded_zip_is_still_doc():
    """An old .doc carrying an embedded Office object contains a whole .docx: still a .doc."""
    inner = make_docx()
    data = build_ole([("WordDocument", word_fib()), ("ObjectPool", inner)])
    assert b"PK\x03\x04" in data and b"word/" in data
    assert detect_kind("总结.doc", data) == "doc"


def test_broken_fat_falls_back_to_scanning_directory_slots():
    data = bytearray(build_ole([("WordDocument", word_fib())]))
    struct.pack_into("<I", data, 0x4C, 0x7FFFFFFF)  # the only FAT sector points nowhere
    assert detect_kind("a.doc", bytes(data)) == "doc"
    data[0x1E] = 33  # absurd sector size
    assert detect_kind("a.doc", bytes(data)) == "doc"


def test_ole_without_known_streams_trusts_extension_or_says_other():
    data = build_ole([("Something", b"")])
    assert detect_kind("a.doc", data) == "doc"
    assert detect_kind("a.bin", data) == "other"
    assert detect_kind("a.doc", data[:600]) == "doc"  # truncated inside the header


# --- magic bytes ------------------------------------------------------------------------------

@pytest.mark.parametrize("data,kind", [
    (b"Rar!\x1a\x07\x01\x00" + bytes(20), "rar"),
    (b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(20), "7z"),
    (gzip.compress(b"hello"), "gz"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "pdf"),
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(20), "image"),
    (b"GIF89a" + bytes(20), "image"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image"),
    (b"II*\x00" + bytes(20), "image"),
])
def test_magic(data, kind):
    assert detect_kind("附件", data) == kind


def test_pdf_marker_after_junk_within_first_kilobyte():
    assert detect_kind("a.pdf", b"\r\n" * 100 + b"%PDF-1.7\n") == "pdf"
    assert detect_kind("a.pdf", b"x" * 2000 + b"%PDF-1.7\n") != "pdf"


def test_bmp_needs_consistent_header():
    bmp = b"BM" + struct.pack("<I", 60) + bytes(54)
    assert detect_kind("a.bmp", bmp) == "image"
    assert detect_kind("a.xls", bmp) == "image"
    assert detect_kind("a.txt", b"BM is a text line\n" * 3) == "text"


def test_rtf_saved_as_doc_and_raw_biff_xls():
    assert detect_kind("总结.doc", b"{\\rtf1\\ansi\\ansicpg936 hello}") == "doc"
    raw_biff = struct.pack("<HH", 0x0409, 6) + bytes(6) + struct.pack("<HH", 0x000A, 0)
    assert detect_kind("old.xls", raw_biff) == "xls"


def test_text_mail_and_binary():
    assert detect_kind("说明.txt", "唐山市科普日活动情况说明".encode("gbk")) == "text"
    assert detect_kind("说明.txt", "唐山市科普日活动情况说明".encode("utf-8")) == "text"
    assert detect_kind("说明.txt", "说明".encode("utf-16")) == "text"
    mail = b"From: a@b.cn\r\nTo: c@d.cn\r\nSubject: hi\r\nDate: Mon, 1 Sep 2025 10:00:00 +0800\r\n\r\nbody"
    assert detect_kind("转发.eml", mail) == "eml"
    assert detect_kind("noname", mail) == "eml"
    assert detect_kind("a.bin", os.urandom(4096)) == "other"
    assert detect_kind("a.docx", b"") == "other"


# --- the real-world corpus --------------------------------------------------------------------

CORPUS_KINDS = {
    "office/poi__PasswordProtected.doc": "encrypted",
    "office/poi__password_tika_binaryrc4.doc": "encrypted",
    "office/poi__xor-encryption-abc.xls": "encrypted",  # FILEPASS in a ministream-sized Workbook
    "office/poi__protected_agile.docx": "encrypted",
    "office/cal__pass_protected.ods": "encrypted",
    "office/poi__word_with_embeded.doc": "doc",
    "office/poi__Word95.doc": "doc",
    "office/cal__capitalized_wbook_stream.xls": "xls",
    "office/edr__Test_Issue_11636_BiffStream.xls": "xls",
    "office/edr__TestFail_Binary.xls": "image",  # a bitmap named .xls
    "office/d2p__renamed_document_xml.docx": "docx",
    "office/d2p__strict.docx": "docx",
    "office/poi__45690.docm": "docx",
    "office/poi__SampleSS.ods": "ods",
    "office/poi__Simple.xlsb": "xlsb",
    "office/xlrd__sample.zip": "zip",
    "office/poi__truncated62886.docx": "docx",
    "office/d2p__~$strict.docx": "other",
    "mail/sp__mail_outlook_1.msg": "msg",
}


@pytest.mark.parametrize("path,kind", sorted(CORPUS_KINDS.items()))
def test_corpus_kinds(path, kind):
    f = CORPUS / path
    if not f.exists():
        pytest.skip(f"corpus file absent: {f}")
    assert detect_kind(f.name, f.read_bytes()) == kind


def test_whole_corpus_never_raises():
    folder = CORPUS / "office"
    if not folder.is_dir():
        pytest.skip(f"corpus absent: {folder}")
    for f in folder.iterdir():
        assert isinstance(detect_kind(f.name, f.read_bytes()), str)
