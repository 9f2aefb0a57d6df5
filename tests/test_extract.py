"""extract_file: one attachment in, FileResults out; never an exception."""
import hashlib
import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import docx
import openpyxl
import pytest
from conftest import missing_tool
from corpus import CORPUS
from officebuild_ole import build_ole, word_fib
from officebuild_zip import Entry, build_zip, gbk_zip
from pypdf import PdfReader, PdfWriter

from parsers import legacy
from parsers import read_file as extract_module
from parsers.legacy import legacy_to_text
from parsers.parsed import FileResult
from parsers.read_file import (
    BROKEN_WORD,
    EMPTY,
    ENCRYPTED,
    OLD_WORD,
    OLD_WORD_TEXT_ONLY,
    OWNER_FILE,
    RAR_7Z,
    SCAN,
    TOO_DEEP,
    UNSUPPORTED,
    extract_file,
)
from parsers.sandbox import Sandbox, SandboxFailure
from parsers.scan_image import BROKEN as IMAGE_BROKEN

HEADER = ["活动名称", "活动时间", "活动地点", "参与人数"]
ROWS = [["科普讲座进社区", "9月16日", "路北区图书馆", "200"], ["科普展览", "9月20日", "市民广场", "约500人"]]


def make_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("路北区科协2025年全国科普日活动总结")
    d.add_paragraph("一、基本情况")
    d.add_paragraph("我区共开展科普活动10场，参与群众约3000人次。")
    table = d.add_table(rows=3, cols=4)
    for r, values in enumerate([HEADER] + ROWS):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "活动表"
    ws.append(["路北区科普日活动统计表"])
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_pdf(content: bytes) -> bytes:
    """A one-page PDF whose page draws ``content`` (a content stream), with a correct xref."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


TEXT_PDF = make_pdf(b"BT /F1 12 Tf 72 760 Td (Tangshan science popularization day: 12 activities, "
                    b"3000 participants) Tj 0 -20 Td (Lubei district association for science) Tj ET")
SCAN_PDF = make_pdf(b"0.5 g 72 72 450 700 re f")  # a grey rectangle: a picture, no text


def only(results: list[FileResult]) -> FileResult:
    assert len(results) == 1
    return results[0]


# --- Word and Excel -------------------------------------------------------------------------

def test_docx_title_narrative_text_and_activities():
    data = make_docx()
    r = only(extract_file("总结.docx", data))
    assert (r.kind, r.status, r.error) == ("docx", "parsed", None)
    assert r.title == "路北区科协2025年全国科普日活动总结"
    assert "一、基本情况" in r.narrative and "10场" in r.narrative["一、基本情况"]
    assert "参与群众" in r.text and "路北区图书馆" in r.text  # table cells are text too
    assert [a.fields["title"] for a in r.activities] == ["科普讲座进社区", "科普展览"]
    assert all(a.source.startswith("总结.docx!表1") for a in r.activities)
    assert r.tables_found == 1
    assert r.size == len(data) and r.sha256 == hashlib.sha256(data).hexdigest()


def test_docx_text_capped():
    d = docx.Document()
    for _ in range(300):
        d.add_paragraph("科普" * 100)
    buf = io.BytesIO()
    d.save(buf)
    assert len(only(extract_file("长.docx", buf.getvalue())).text) == 20_000


def test_xlsx_activities_per_sheet():
    r = only(extract_file("活动统计.xlsx", make_xlsx()))
    assert (r.kind, r.status) == ("xlsx", "parsed")
    assert r.title == "路北区科普日活动统计表"
    assert len(r.activities) == 2 and r.tables_found == 1
    assert r.activities[0].source.startswith("活动统计.xlsx!活动表")
    assert "科普展览" in r.text


def test_xlsx_named_doc_is_read_as_xlsx():
    r = only(extract_file("活动.doc", make_xlsx()))
    assert (r.kind, r.status, len(r.activities)) == ("xlsx", "parsed", 2)


# --- PDF ------------------------------------------------------------------------------------------

def test_pdf_with_text_layer():
    r = only(extract_file("总结.pdf", TEXT_PDF))
    assert (r.kind, r.status, r.is_scan) == ("pdf", "parsed", False)
    assert "Tangshan science popularization day" in r.text and r.activities == []


def test_pdf_without_text_is_a_scan():
    r = only(extract_file("盖章版.pdf", SCAN_PDF))
    assert (r.kind, r.status, r.is_scan) == ("pdf", "parsed", True)
    assert r.notes[-1] == SCAN and "未识别到文字" in r.notes[0] and r.proposed == []


def test_pdf_with_password_and_with_owner_password_only():
    def encrypted(user: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(TEXT_PDF)))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-128")
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()

    locked = only(extract_file("加密.pdf", encrypted("1234")))
    assert (locked.status, locked.error) == ("failed", ENCRYPTED)
    opens = only(extract_file("限制编辑.pdf", encrypted("")))  # opens without a password
    assert opens.status == "parsed" and "Tangshan" in opens.text


def test_damaged_pdf_fails_with_reason():
    r = only(extract_file("坏.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50))
    assert r.status == "failed" and "PDF" in r.error


# --- archives -------------------------------------------------------------------------------------

def test_zip_with_gbk_names_yields_zip_then_members():
    inner = gbk_zip([("活动表.xlsx", make_xlsx())])
    data = gbk_zip([("路北区/总结.docx", make_docx()), ("路北区/活动统计.xlsx", make_xlsx()),
                    ("照片/现场.jpg", b"\xff\xd8\xff\xe0" + bytes(100)), ("补充.zip", inner),
                    ("旧材料.rar", b"Rar!\x1a\x07\x00" + bytes(50))])
    results = extract_file("路北区材料.zip", data)
    got = [(r.name, r.kind, r.status) for r in results]
    assert got == [
        ("路北区材料.zip", "zip", "parsed"),
        ("路北区材料.zip/路北区/总结.docx", "docx", "parsed"),
        ("路北区材料.zip/路北区/活动统计.xlsx", "xlsx", "parsed"),
        ("路北区材料.zip/照片/现场.jpg", "image", "failed"),
        ("路北区材料.zip/补充.zip", "zip", "parsed"),
        ("路北区材料.zip/补充.zip/活动表.xlsx", "xlsx", "parsed"),
        ("路北区材料.zip/旧材料.rar", "rar", "skipped"),
    ]
    assert results[1].activities[0].source.startswith("路北区材料.zip/路北区/总结.docx!表1")
    assert results[3].error == IMAGE_BROKEN and results[6].error == RAR_7Z
    assert results[0].size == len(data) and results[5].size > 0


def test_nesting_beyond_max_depth_is_skipped():
    data = gbk_zip([("表.xlsx", make_xlsx())])
    for level in range(4):
        data = gbk_zip([(f"第{level}层.zip", data)])
    results = extract_file("套娃.zip", data, max_depth=3)
    assert [r.status for r in results] == ["parsed", "parsed", "parsed", "skipped"]
    assert results[-1].error == TOO_DEEP


def test_zip_problems_become_failures_and_notes():
    locked = only(extract_file("加密.zip", build_zip([Entry("总结.docx", b"x", flags=0x1)])))
    assert locked.status == "failed" and "密码" in locked.error
    broken = only(extract_file("坏.zip", b"PK\x03\x04" + bytes(40)))
    assert broken.status == "failed" and "压缩包" in broken.error
    empty = only(extract_file("空.zip", build_zip([])))
    assert empty.status == "failed" and "没有文件" in empty.error
    partly = extract_file("部分.zip", build_zip([Entry("a.docx", b"x", flags=0x1), Entry("b.xlsx", make_xlsx())]))
    assert partly[0].status == "parsed" and "密码" in partly[0].notes[0] and partly[1].status == "parsed"


# --- skipped and failed kinds -----------------------------------------------------------------

@pytest.mark.parametrize("name,data,status,error", [
    ("材料.rar", b"Rar!\x1a\x07\x01\x00" + bytes(30), "skipped", RAR_7Z),
    ("材料.7z", b"7z\xbc\xaf\x27\x1c" + bytes(30), "skipped", RAR_7Z),
    ("现场.png", b"\x89PNG\r\n\x1a\n" + bytes(30), "failed", IMAGE_BROKEN),
    ("程序.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(3000), "skipped", UNSUPPORTED),
    ("~$总结.docx", b"\x0ajohn" + bytes(150), "skipped", OWNER_FILE),
    ("总结.docx", b"", "failed", EMPTY),
    ("总结.docx", build_ole([("EncryptionInfo", b""), ("EncryptedPackage", b"")]), "failed", ENCRYPTED),
    ("总结.doc", build_ole([("WordDocument", word_fib(encrypted=True))]), "failed", ENCRYPTED),
    ("总结.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"junk" * 100, "failed", BROKEN_WORD),
])
def test_skipped_and_failed_kinds(name, data, status, error):
    r = only(extract_file(name, data))
    assert (r.status, r.error) == (status, error)
    assert r.size == len(data)


@pytest.mark.parametrize("name", ["a.docx", "a.xlsx", "a.xls", "a.pdf", "a.zip", "a.ods", "a.et"])
def test_garbage_never_raises(name):
    for data in (b"PK\x03\x04" + bytes(100), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
                 bytes(range(256)) * 4):
        r = extract_file(name, data)[0]
        assert r.status in ("failed", "skipped") and r.error


def test_plain_text_and_html_disguised_as_xls():
    r = only(extract_file("说明.txt", "路北区科协 科普日活动说明".encode("gbk")))
    assert (r.kind, r.status, r.text) == ("text", "parsed", "路北区科协 科普日活动说明")
    page = "<html><body><table><tr><td>活动名称</td><td>科普讲座</td></tr></table></body></html>"
    r = only(extract_file("导出.xls", page.encode("utf-8")))
    assert r.status == "parsed" and "科普讲座" in r.text and "<td>" not in r.text


# --- old Word via LibreOffice / antiword ----------------------------------------------------

def make_odt() -> bytes:
    cells = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
            for v in row) + "</table:table-row>"
        for row in [HEADER] + ROWS)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
        "<office:body><office:text>"
        "<text:p>路北区科协2025年全国科普日活动总结</text:p><text:p>一、基本情况</text:p>"
        "<text:p>我区共开展科普活动10场。</text:p>"
        f'<table:table table:name="活动"><table:table-column table:number-columns-repeated="4"/>{cells}'
        "</table:table></office:text></office:body></office:document-content>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml",
                    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                    '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                    '"application/vnd.oasis.opendocument.text"/><manifest:file-entry '
                    'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    return buf.getvalue()


@pytest.fixture(scope="module")
def doc_bytes(tmp_path_factory) -> bytes:
    soffice = shutil.which("soffice")
    if not soffice:
        missing_tool("LibreOffice (soffice) is not installed")
    work = tmp_path_factory.mktemp("doc")
    (work / "总结.odt").write_bytes(make_odt())
    subprocess.run([soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
                    "--convert-to", "doc:MS Word 97", "--outdir", str(work), str(work / "总结.odt")],
                   check=True, capture_output=True, timeout=120)
    return (work / "总结.doc").read_bytes()


def test_doc_through_libreoffice_keeps_tables(doc_bytes):
    r = only(extract_file("总结.doc", doc_bytes))
    assert (r.kind, r.status) == ("doc", "parsed")
    assert r.title == "路北区科协2025年全国科普日活动总结"
    assert [a.fields["title"] for a in r.activities] == ["科普讲座进社区", "科普展览"]
    assert r.activities[0].source.startswith("总结.doc!表1")


def test_doc_text_fallback_without_libreoffice(doc_bytes, monkeypatch):
    if not (shutil.which("antiword") or shutil.which("catdoc")):
        missing_tool("neither antiword nor catdoc is installed")
    assert "科普讲座进社区" in legacy_to_text(doc_bytes, "doc")
    monkeypatch.setattr(extract_module, "legacy_to_docx", lambda data, kind: None)  # as if absent
    r = only(extract_file("总结.doc", doc_bytes))
    assert r.status == "parsed" and "科普讲座进社区" in r.text
    assert r.title == "路北区科协2025年全国科普日活动总结" and "一、基本情况" in r.narrative
    if shutil.which("antiword"):  # its "|cell |cell |" lines are a table too (issue 16, item 8)
        assert [a.fields["title"] for a in r.activities] == ["科普讲座进社区", "科普展览"]
        assert r.activities[0].source == "总结.doc!文本表1!R2" and r.notes == []
    else:
        assert r.activities == [] and r.notes == [OLD_WORD_TEXT_ONLY]


@pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_converter_timeout_kills_the_whole_process_group(tmp_path):
    """soffice forks soffice.bin: a timeout must not leave the grandchild running."""
    pidfile = tmp_path / "pid"
    start = time.monotonic()
    code = legacy._run(["sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait"], 0.5, dict(os.environ))
    assert code is None and time.monotonic() - start < 5
    grandchild = int(pidfile.read_text())
    time.sleep(0.2)
    stat = Path(f"/proc/{grandchild}/stat")
    if stat.exists():  # killed but not yet reaped by its new parent
        assert stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_unreadable_doc_fails_with_reason(monkeypatch):
    monkeypatch.setattr(extract_module, "legacy_to_docx", lambda data, kind: None)
    r = only(extract_file("总结.doc", build_ole([("WordDocument", word_fib() + bytes(100))])))
    assert (r.status, r.error) == ("failed", OLD_WORD)


# --- the real-world corpus in the sandbox ---------------------------------------------------------

def test_corpus_through_sandbox():
    folder = CORPUS / "office"
    if not folder.is_dir():
        pytest.skip(f"corpus absent: {folder}")
    files = sorted(folder.iterdir())
    calls = [(timed_extract, (f.name, f.read_bytes())) for f in files]
    start = time.monotonic()
    with Sandbox(workers=2, timeout_s=60) as sb:
        outcomes = sb.run_many(calls)
    elapsed = time.monotonic() - start
    statuses: Counter = Counter()
    timings = []
    for f, out in zip(files, outcomes):
        if isinstance(out, SandboxFailure):
            statuses["sandbox-failure"] += 1
            assert out.reason
            continue
        results, seconds = out
        assert results and all(isinstance(r, FileResult) for r in results)
        for r in results:
            statuses[r.status] += 1
            assert r.status in ("parsed", "skipped", "failed")
            assert (r.error is None) == (r.status == "parsed"), (f.name, r)
        timings.append((seconds, f.name))
    slowest = ", ".join(f"{n} {s:.2f}s" for s, n in sorted(timings, reverse=True)[:5])
    print(f"\ncorpus: {len(files)} files in {elapsed:.1f}s; {dict(statuses)}; slowest: {slowest}")
    assert statuses["parsed"] > len(files) // 2


def timed_extract(name: str, data: bytes) -> tuple[list[FileResult], float]:
    start = time.monotonic()
    return extract_file(name, data), time.monotonic() - start
