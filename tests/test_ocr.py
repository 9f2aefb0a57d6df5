"""Scans, photos and PDFs of activity tables that LibreOffice laid out (tests/scanbuild.py), read into proposed
rows; the truth of every row is written by hand in tests/scantables.py.

Each page is OCR'd once per session (module fixtures); the whole file costs ~1–2 minutes on 2 cores.
"""
from __future__ import annotations

import email.message
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scanbuild as sb
import scantables as st
from conftest import missing_tool, parser_budget_mb
from lobuild import available as lo_available
from PIL import Image, ImageFilter
from rapidfuzz import fuzz

from parsers.parsed import LIMIT_FLAG, FileResult, RawActivity
from parsers.read_file import SCAN, extract_file
from parsers.read_mail import read_mail
from parsers.scan import NO_TABLE
from parsers.scan_files import MAX_PAGES
from parsers.scan_image import MAX_PIXELS, TOO_LARGE
from parsers.values import normalize_activity

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def _libreoffice():
    if not lo_available():
        missing_tool("LibreOffice (soffice) lays out the tables the scans are made of: bash setup.sh --test")


def only(results: list[FileResult]) -> FileResult:
    assert len(results) == 1, [(r.name, r.status) for r in results]
    return results[0]


def score(found: list[RawActivity], truth: list[tuple]) -> dict:
    """Proposals against the hand-written truth: a row is found when its title matches (OCR may misread a
    character: similarity ≥ 85), and then its dates and head count are checked."""
    matched, dates, counts = 0, 0, 0
    left = list(truth)
    for raw in found:
        act = normalize_activity(raw, 2025)
        best = max(left, key=lambda t: fuzz.ratio(t[0], act.title), default=None)
        if best is None or fuzz.ratio(best[0], act.title) < 85:
            continue
        left.remove(best)
        matched += 1
        dates += (act.start_date, act.end_date) == (best[1], best[2])
        counts += act.participants == best[3]
    return {"expected": len(truth), "proposed": len(found), "found": matched, "dates": dates, "counts": counts}


@pytest.fixture(scope="module")
def scan_a() -> FileResult:
    """Table A, scanned at 200 dpi, 2° askew, a red seal over three cells, noise; a two-page image PDF."""
    page = sb.rasterise(sb.table_pdf(st.TABLE_A, st.TITLE_A), 200)
    page = sb.scanned(page, 1, 2.0, seal_at=(int(page.width * 0.62), int(page.height * 0.17)))
    blank = sb.noisy(Image.new("RGB", page.size, "white"), 9)
    return only(extract_file("路南区盖章扫描件.pdf", sb.image_pdf([page, blank])))


@pytest.fixture(scope="module")
def photo_b() -> FileResult:
    """Table B (two header rows) photographed at an angle on a desk at 150 dpi, JPEG."""
    page = sb.photographed(sb.rasterise(sb.table_pdf(st.TABLE_B, st.TITLE_B), 150), 2)
    return only(extract_file("IMG_20250928_101530.jpg", sb.encoded(page, "JPEG", quality=80)))


@pytest.fixture(scope="module")
def unruled_c() -> FileResult:
    """Table C, no ruling lines, 180 dpi, 1.5° askew the other way, PNG."""
    page = sb.scanned(sb.rasterise(sb.table_pdf(st.TABLE_C, st.TITLE_C, border=False), 180), 3, -1.5)
    return only(extract_file("古冶区活动表.png", sb.encoded(page, "PNG")))


@pytest.fixture(scope="module")
def word_d() -> FileResult:
    """A Word summary whose table is a picture (table D scanned at 150 dpi, pasted in)."""
    page = sb.noisy(sb.rasterise(sb.table_pdf(st.TABLE_D), 150), 8)
    picture = sb.encoded(page.crop((0, 0, page.width, page.height // 3)), "PNG")
    data = sb.docx_with_picture(picture, ["丰南区科协全国科普月活动总结", "活动开展情况见下表："])
    return only(extract_file("丰南区总结.docx", data))


def test_scans_and_photos_become_proposals_with_their_place(scan_a, photo_b, unruled_c, word_d):
    results = {"scan A": (scan_a, st.TRUTH_A), "photo B": (photo_b, st.TRUTH_B),
               "unruled C": (unruled_c, st.TRUTH_C), "Word picture D": (word_d, st.TRUTH_D)}
    total = {"expected": 0, "proposed": 0, "found": 0, "dates": 0, "counts": 0}
    for name, (result, truth) in results.items():
        s = score(result.proposed, truth)
        print(f"{name}: {s}")
        for key in total:
            total[key] += s[key]
        assert result.status == "parsed" and result.activities == [], name  # never counted on its own
    print(f"all: {total}")
    recall = total["found"] / total["expected"]
    precision = total["found"] / total["proposed"]
    assert recall >= 0.9 and precision >= 0.95, total
    assert total["dates"] >= 0.95 * total["found"] and total["counts"] >= 0.95 * total["found"], total

    assert scan_a.is_scan and scan_a.kind == "pdf"
    first = scan_a.proposed[0]
    assert first.source == "扫描件第1页第2行"  # the header is the table's first row
    assert "科普进社区专题讲座" in first.evidence and 0.5 < first.confidence <= 1.0
    assert photo_b.proposed[0].source == "图片第3行"  # two header rows
    assert word_d.proposed[0].source.startswith("文档中的图片1第")
    assert any("待人工核对" in n for n in scan_a.notes)
    assert "开平区" in photo_b.text  # what was read identifies the unit too


def test_a_seal_over_the_cells_hides_nothing(scan_a):
    by_title = {normalize_activity(r).title: normalize_activity(r) for r in scan_a.proposed}
    assert by_title["健康科普义诊活动"].location == "路南区卫生院"  # the seal's own text is not read into it
    assert by_title["青少年科技创新成果展"].participants == 1200
    assert by_title["防灾减灾知识宣传"].participants == 450  # "约450" over "人", read in order


def test_pdf_with_a_text_layer_is_read_as_activities_not_proposals():
    result = only(extract_file("路南区活动表.pdf", sb.table_pdf(st.TABLE_A, st.TITLE_A)))
    assert (result.status, result.is_scan, result.proposed) == ("parsed", False, [])
    got = [(a.title, a.start_date, a.end_date, a.participants) for a in map(normalize_activity, result.activities)]
    assert got == st.TRUTH_A
    assert result.activities[0].source == "路南区活动表.pdf!第1页!R2"  # the title sits above the table


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_page_is_turned_back(turn):
    page = sb.rasterise(sb.table_pdf(st.TABLE_D), 150)
    page = page.crop((0, 0, page.width, page.height // 3))
    result = only(extract_file(f"横放{turn}.png", sb.encoded(sb.noisy(page.rotate(turn, expand=True), turn), "PNG")))
    assert score(result.proposed, st.TRUTH_D)["found"] == 2
    assert score(result.proposed, st.TRUTH_D)["dates"] == 2
    assert any(f"已旋转{turn}度" in n for n in result.notes), result.notes


def test_a_scan_of_prose_proposes_nothing_and_says_why():
    page = sb.noisy(sb.rasterise(sb.prose_pdf(st.PROSE), 150), 7)
    result = only(extract_file("总结扫描件.pdf", sb.image_pdf([page])))
    assert result.proposed == [] and result.activities == [] and result.is_scan
    assert NO_TABLE.format(where="扫描件第1页") in result.notes and SCAN in result.notes
    assert "科普月活动总结" in result.text  # the text is still there for the unit and the admins


def test_an_unreadable_photo_proposes_nothing_and_says_why():
    page = sb.rasterise(sb.table_pdf(st.TABLE_D), 150).filter(ImageFilter.GaussianBlur(14))
    result = only(extract_file("模糊.jpg", sb.encoded(page, "JPEG")))
    assert result.status == "parsed" and result.proposed == []
    assert any(n.startswith("图片：") for n in result.notes), result.notes
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 255, (600, 800, 3), dtype=np.uint8))
    result = only(extract_file("噪点.png", sb.encoded(noise, "PNG")))
    assert result.status == "parsed" and result.proposed == [] and result.notes


def test_a_forty_page_scan_is_read_up_to_the_cap_and_says_so():
    pages = [Image.new("RGB", (170, 240), "white") for _ in range(40)]
    result = only(extract_file("四十页.pdf", sb.image_pdf(pages, dpi=20)))
    capped = [n for n in result.notes if n.startswith(LIMIT_FLAG)]
    assert capped == [f"{LIMIT_FLAG}“四十页.pdf”共40页扫描页，只识别了前{MAX_PAGES}页，其余未读取"]
    assert sum("未识别到文字" in n for n in result.notes) == MAX_PAGES


def test_a_decompression_bomb_is_refused_by_its_size_before_decoding():
    bomb = sb.png_bomb(100_000, 100_000)
    assert len(bomb) < 2000
    result = only(extract_file("炸弹.png", bomb))
    assert result.status == "failed" and result.error == TOO_LARGE.format(w=100000, h=100000)
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS  # Pillow itself refuses too, wherever it is called


def test_read_mail_defers_ocr_when_asked(scan_a):
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "kx@example.org", "tskxpjb@126.com", "丰南区科协科普月活动表"
    msg.set_content("活动表见附件照片。")
    page = sb.rasterise(sb.table_pdf(st.TABLE_D), 150)
    picture = sb.encoded(page.crop((0, 0, page.width, page.height // 3)), "PNG")
    msg.add_attachment(picture, maintype="image", subtype="png", filename="活动表.png")
    raw = msg.as_bytes()
    later = read_mail(raw, 2025, ocr=False)
    assert later.ocr_pending and later.files[0].proposed == [] and later.files[0].is_scan
    now = read_mail(raw, 2025)
    assert not now.ocr_pending and score(now.files[0].proposed, st.TRUTH_D)["found"] == 2
    assert now.activities == []  # proposals are not activities


def test_pictures_beside_an_activity_table_are_not_read():
    """Beside an Excel list, a picture is the activities' photo (or a copy): no OCR, no proposals, a note."""
    import xlsxwriter

    from parsers.read_mail import PICTURE_NOT_READ

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet()
    for r, row in enumerate(st.TABLE_D):
        sheet.write_row(r, 0, row)
    book.close()
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "kx@example.org", "tskxpjb@126.com", "丰南区科协科普月活动表"
    msg.set_content("活动表和现场照片见附件。")
    msg.add_attachment(buf.getvalue(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="活动表.xlsx")
    page = sb.rasterise(sb.table_pdf(st.TABLE_D), 150)
    msg.add_attachment(sb.encoded(page, "JPEG"), maintype="image", subtype="jpeg", filename="现场照片.jpg")
    for ocr in (False, True):
        content = read_mail(msg.as_bytes(), 2025, ocr=ocr)
        assert not content.ocr_pending and len(content.activities) == 2
        photo = content.files[1]
        assert photo.proposed == [] and photo.notes == [PICTURE_NOT_READ]


def test_ocr_runs_with_the_network_cut_off(tmp_path):
    """The models ship inside the rapidocr wheel: a fresh process whose sockets all refuse to connect
    still reads a page (a release that downloads its model at first use would fail here)."""
    page = sb.rasterise(sb.table_pdf(st.TABLE_D), 150)
    path = tmp_path / "page.png"
    page.crop((0, 0, page.width, page.height // 3)).save(path)
    guard = tmp_path / "sitecustomize.py"
    guard.write_text("import socket\n"
                     "def _refuse(*a, **k):\n    raise OSError('network disabled for this test')\n"
                     "socket.socket.connect = _refuse\nsocket.create_connection = _refuse\n")
    code = ("import sys, numpy as np; from PIL import Image; from parsers.scan import read_page;"
            "r = read_page(np.asarray(Image.open(sys.argv[1]).convert('RGB')), '图片');"
            "print(len(r.proposed))")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}", HOME=str(tmp_path),
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "2"


def test_a_large_photo_is_read_at_a_working_size():
    """A 24-megapixel photo (6000 x 4000) is decoded reduced (JPEG draft) and worked on at most MAX_SIDE px."""
    from parsers.scan_image import MAX_SIDE, load_pages

    big = Image.new("RGB", (6000, 4000), "white")
    pages, total = load_pages(sb.encoded(big, "JPEG", quality=50))
    assert total == 1 and max(pages[0].shape[:2]) <= MAX_SIDE


def test_ordinary_mail_is_acknowledged_before_queued_scans_are_read(tmp_path, monkeypatch):
    """Three scan mails, then an ordinary one: the ordinary mail is settled in the first pass; the scans
    after it, one at a time, and no more than the cycle's OCR time allows (0 s here: one a cycle), the rest
    left pending with their attempt given back."""
    import sqlite3

    import xlsxwriter
    import yaml

    from pipeline.intake import ingest
    from run import main

    monkeypatch.setattr(ingest, "OCR_SECONDS", 0)
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    page = sb.rasterise(sb.table_pdf(st.TABLE_D), 150)
    picture = sb.encoded(page.crop((0, 0, page.width, page.height // 3)), "PNG")
    units = ["unit_id,name,category,aliases,emails"]
    for i in range(3):
        units.append(f"s{i},第{i}街道科协,county,,s{i}@example.org")
        msg = email.message.EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = f"s{i}@example.org", "tskxpjb@126.com", f"第{i}街道科协活动表"
        msg["Date"] = f"Sat, 20 Sep 2025 09:0{i}:00 +0800"
        msg.set_content("活动表见附件（扫描件）。")
        msg.add_attachment(picture, maintype="image", subtype="png", filename="活动表.png")
        (inbox / "new" / f"{i}.scan").write_bytes(msg.as_bytes())
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet()
    for r, row in enumerate(st.TABLE_D):
        sheet.write_row(r, 0, row)
    book.close()
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "plain@example.org", "tskxpjb@126.com", "丰南区科协活动表"
    msg["Date"] = "Sat, 20 Sep 2025 09:59:00 +0800"
    msg.set_content("活动表见附件。")
    msg.add_attachment(buf.getvalue(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="活动表.xlsx")
    (inbox / "new" / "9.plain").write_bytes(msg.as_bytes())
    units.append("plain,丰南区科协,county,,plain@example.org")
    (tmp_path / "units.csv").write_text("\n".join(units) + "\n", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"mailbox": {"maildir": "inbox"}, "smtp": {"outdir": "sent"},
                                      "data_dir": "var", "campaign": {"units": "units.csv"},
                                      "extraction": {"workers": 2, "memory_budget_mb": parser_budget_mb()}}),
                      encoding="utf-8")

    def states() -> list[tuple[str | None, str, int]]:
        with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
            return db.execute("SELECT sender, state, attempts FROM messages").fetchall()

    assert main(["--config", str(config), "poll"]) == 0
    first = states()
    assert ("plain@example.org", "done") in [(s, state) for s, state, _ in first]
    assert sorted(state for _, state, _ in first) == ["done", "done", "pending", "pending"]
    assert all(n == 0 for _, state, n in first if state == "pending")  # the attempt was given back
    assert main(["--config", str(config), "poll"]) == 0
    assert main(["--config", str(config), "poll"]) == 0
    assert all(state == "done" for _, state, _ in states())
    out = tmp_path / "out.json"
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(out)]) == 0
    messages = json.loads(out.read_text(encoding="utf-8"))["messages"]
    scans = [m for m in messages if m["sender"] != "plain@example.org"]
    assert len(scans) == 3
    for m in scans:  # proposed, not counted: a person confirms them
        assert m["status"] == "needs_review" and "扫描件" in m["reason"], m
        rows = m["proposed_activities"]
        assert [r["title"] for r in rows] == ["科普大篷车巡展", "食品安全讲座"] and rows[0]["source"] == "图片第2行"


def test_a_blank_page_is_not_sent_to_ocr_but_faint_print_is():
    from parsers.scan import blank

    rng = np.random.default_rng(3)
    paper = (235 + rng.integers(0, 13, size=(700, 500, 3))).astype(np.uint8)  # paper tone with speckle
    assert blank(paper)
    printed, faint, stamped = paper.copy(), paper.copy(), paper.copy()
    printed[100:104, 50:450] = 20  # one ruled line and a short row of print: ~1 % of the page
    printed[120:130, 60:200] = 30
    faint[100:110, 50:450] = 190  # a phone photo in poor light: print only ~55 levels under the paper
    stamped[300:340, 300:340] = (200, 30, 30)  # a red seal alone is still something on the page
    assert not blank(printed) and not blank(faint) and not blank(stamped)


def test_a_damaged_original_is_refused_in_words_when_its_page_is_drawn():
    from email.message import EmailMessage

    from parsers.page_image import render_page_png

    msg = EmailMessage()
    msg["From"], msg["Subject"] = "unit@example.org", "扫描件"
    msg.set_content("见附件")
    msg.add_attachment(b"%PDF-1.4\n1 0 obj <<\n% cut short by a broken upload", maintype="application",
                       subtype="pdf", filename="扫描件.pdf")
    msg.add_attachment(b"PK\x03\x04 not really a zip", maintype="application", subtype="zip", filename="材料.zip")
    raw = msg.as_bytes()
    for name in ("扫描件.pdf", "材料.zip/表.png"):
        drawn = render_page_png(raw, name, 1)
        assert isinstance(drawn, str) and drawn, (name, drawn)
