"""The sample-mail generator: determinism, realism of the raw mail, consistency of the truth."""
from __future__ import annotations

import ast
import csv
import email
import io
import mailbox
import random
import re
import time
import zipfile
from collections import Counter
from datetime import date
from email import policy
from email.header import decode_header
from email.utils import collapse_rfc2231_value, parsedate_to_datetime
from pathlib import Path

import docx
import openpyxl
import pytest

from samples import CASES, DEADLINE, TZ, generate, write_maildir
from samples.activities import spell_count, spell_date

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample():
    return generate(7)


# ---- helpers (test-only decoding, independent of parsers/) ---------------------------------------

def filename_of(part) -> str | None:
    raw = part.get_param("filename", header="content-disposition") or part.get_param("name")
    if raw is None:
        return None
    if isinstance(raw, tuple):
        return collapse_rfc2231_value(raw)
    pieces = []
    for data, charset in decode_header(raw.replace("\r\n", "").replace("\t", " ")):
        if isinstance(data, str):
            pieces.append((data.encode(), None))
        else:
            pieces.append((data, charset))
    # join bytes of the same charset first: NetEase splits characters across words
    out, buf, cs = "", b"", None
    for data, charset in pieces + [(b"", "end")]:
        if charset != cs and buf:
            out += buf.decode(cs if cs not in (None, "gbk", "gb2312") else (cs and "gb18030") or "ascii", "replace")
            buf = b""
        buf, cs = buf + data, charset
    return out


def files_of(raw: bytes) -> list[tuple[str, bytes, str]]:
    """(name, data, content type) of every attached file, forwarded mails included."""
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    found = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()[0]
            found += files_of(inner.as_bytes())
            continue
        if part.is_multipart() or part.get_content_maintype() == "text":
            continue
        found.append((filename_of(part) or "", part.get_payload(decode=True), part.get_content_type()))
    return found


def body_text(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=policy.default)
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def xlsx_cells(data: bytes) -> list[str]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


# ---- generation ---------------------------------------------------------------------------------

def test_deterministic_for_a_seed(sample):
    again = generate(7)
    assert [m.raw for m in again.mails] == [m.raw for m in sample.mails]
    assert [m.truth for m in again.mails] == [m.truth for m in sample.mails]
    assert again.units_csv() == sample.units_csv()
    other = generate(8)
    assert [m.raw for m in other.mails] != [m.raw for m in sample.mails]


def test_every_case_present_and_message_ids_fixed(sample):
    cases = Counter(m.truth.case for m in sample.mails)
    assert set(cases) == set(CASES), set(CASES) - set(cases)
    assert 55 <= len(sample.mails) <= 85
    assert cases["docx_xlsx"] >= 5
    ids = [m.message_id for m in sample.mails]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "<gen-0001.7@sample.invalid>"
    received = [m.received for m in sample.mails]
    assert received == sorted(received)
    assert all(r.tzinfo is not None and r.utcoffset().total_seconds() == 8 * 3600 for r in received)


def test_too_few_units_is_refused():
    with pytest.raises(ValueError):
        generate(1, n_units=5)


@pytest.fixture(scope="module")
def large():
    t = time.perf_counter()
    s = generate(11, n_units=300)
    return s, time.perf_counter() - t


@pytest.fixture(scope="module")
def medium():
    return generate(5, n_units=120)


def test_generation_covers_every_case(large):
    t = time.perf_counter()
    small = generate(11, n_units=40)
    small_time = time.perf_counter() - t
    s, large_time = large
    print(f"\ngeneration: 40 units {small_time:.2f}s/{len(small.mails)} mails; "
          f"300 units {large_time:.2f}s/{len(s.mails)} mails")
    assert {m.truth.case for m in s.mails} == set(CASES)
    assert len(s.mails) >= 450


def test_no_code_shared_with_parsers_or_pipeline():
    for path in (ROOT / "samples").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in ("parsers", "pipeline", "outbox"), (path.name, name)


# ---- registry -----------------------------------------------------------------------------------

def test_units_csv_parses(sample):
    rows = list(csv.DictReader(io.StringIO(sample.units_csv())))
    assert list(rows[0]) == ["unit_id", "name", "category", "aliases", "emails"]
    assert len(rows) == len(sample.units) == 40
    assert len({r["unit_id"] for r in rows}) == len(rows)
    assert {r["category"] for r in rows} == set(sample.quotas)
    emails = [r["emails"].split(";") if r["emails"] else [] for r in rows]
    assert any(len(e) == 2 for e in emails) and any(not e for e in emails)
    assert any(x.endswith("@qq.com") for e in emails for x in e)
    county = next(r for r in rows if r["unit_id"] == "lunan") if any(r["unit_id"] == "lunan" for r in rows) else None
    if county:
        assert "唐山市路南区科协" in county["aliases"].split(";")
        assert "lunan_kx@126.com" in county["emails"].split(";")


def test_large_registry_names_unique(large):
    s = large[0]
    names = [u.name for u in s.units]
    assert len(set(names)) == 300 and len({u.unit_id for u in s.units}) == 300


# ---- the raw mail -------------------------------------------------------------------------------

def test_every_mail_parses_with_the_standard_library(sample):
    for m in sample.mails:
        for pol in (policy.default, policy.compat32):
            msg = email.message_from_bytes(m.raw, policy=pol)
            assert msg["Message-ID"] == m.message_id
            assert not msg.defects, (m.message_id, msg.defects)
        when = parsedate_to_datetime(email.message_from_bytes(m.raw)["Date"])
        assert when.astimezone(TZ) <= m.received
        assert (when.astimezone(TZ).date() > DEADLINE) == m.truth.late
        assert m.raw.isascii() or b"Mozilla Thunderbird" in m.raw  # only Thunderbird sends 8-bit


def test_realistic_encodings_appear(sample, medium):
    raws = b"\n".join(m.raw for m in sample.mails)
    assert b"=?GBK?B?" in raws and b"charset=GBK" in raws
    assert b"X-Mailer: Coremail Webmail" in raws
    assert re.search(rb'filename="=\?GBK\?B\?', raws)
    big = b"\n".join(m.raw for m in medium.mails)
    for needle in (b"filename*0*=UTF-8''", b"filename*=UTF-8''", b"QQMail", b"Microsoft Outlook",
                   b"quoted-printable", b"multipart/alternative", b"charset=gb18030"):
        assert needle in raws + big, needle


def test_attachments_open_and_match_the_truth(sample):
    checked = Counter()
    for m in sample.mails:
        t = m.truth
        files = files_of(m.raw)
        if t.case in ("no_attachment", "question", "auto_reply", "bounce", "unrelated", "own_mail"):
            assert not files, t.case
            continue
        texts = []
        for name, data, _ in files:
            assert "\ufffd" not in name and re.search(r"[\u4e00-\u9fff]", name), name
            if data[:2] == b"PK" and name.endswith(".docx"):
                texts.append(docx_text(data))
            elif data[:2] == b"PK" and name.endswith((".xlsx", ".xls")):
                texts.append("\n".join(xlsx_cells(data)))
                checked["xlsx"] += 1
            elif name.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    for info in z.infolist():
                        if info.filename.endswith(".xlsx"):
                            texts.append("\n".join(xlsx_cells(z.read(info))))
                        elif info.filename.endswith(".docx"):
                            texts.append(docx_text(z.read(info)))
            elif name.endswith(".pdf"):
                assert data.startswith(b"%PDF")
        joined = "\n".join(texts)
        for act in t.activities:
            assert act.title in joined, (t.case, act.title)
            checked["activities"] += 1
        if t.case == "xls_legacy_name":
            assert any(n.endswith(".xls") and d[:2] == b"PK" for n, d, _ in files)
    assert checked["activities"] > 100 and checked["xlsx"] > 10


def test_gbk_zip_names_lack_the_utf8_flag(sample):
    zips = [d for m in sample.mails if m.truth.case == "zip_gbk" for n, d, _ in files_of(m.raw) if n.endswith(".zip")]
    assert zips
    for data in zips:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            assert all(i.flag_bits & 0x800 == 0 for i in infos)
            names = [i.filename.encode("cp437").decode("gbk") for i in infos]
            assert any(n.endswith(".docx") for n in names) and any(n.endswith(".xlsx") for n in names)
            assert all(re.search(r"[\u4e00-\u9fff]", n) for n in names)
            assert z.testzip() is None


def test_not_submissions_look_like_what_they_are(sample):
    for m in sample.mails:
        msg = email.message_from_bytes(m.raw, policy=policy.default)
        case = m.truth.case
        if case == "auto_reply":
            assert msg["Auto-Submitted"] or re.match(r"自动(回复|答复)", str(msg["Subject"]))
        elif case == "bounce":
            assert msg["Return-Path"] == "<>" and msg.get_content_type() == "multipart/report"
            assert "MAILER-DAEMON" in msg["From"]
        elif case == "unrelated":
            assert msg["List-Unsubscribe"]
        elif case == "own_mail":
            assert msg["From"].addresses[0].addr_spec == sample.mailbox_addr
        elif case == "question":
            assert "？" in body_text(m.raw) and not files_of(m.raw)
        elif case == "no_attachment":
            assert "附件" in body_text(m.raw)


def test_senders_and_forwards(sample):
    registered = {e: u.unit_id for u in sample.units for e in u.emails}
    units = {u.unit_id: u for u in sample.units}
    for m in sample.mails:
        t = m.truth
        msg = email.message_from_bytes(m.raw, policy=policy.default)
        sender = msg["From"].addresses[0].addr_spec
        if t.case == "personal_sender":
            assert sender not in registered
            unit = units[t.unit_id]
            shown = str(msg["Subject"]) + " ".join(n for n, _, _ in files_of(m.raw))
            assert any(n in shown for n in [unit.name] + unit.aliases + [unit.name[3:]]), shown
        elif t.case == "forwarded":
            inner = next(p for p in msg.walk() if p.get_content_type() == "message/rfc822").get_content()
            assert registered[inner["From"].addresses[0].addr_spec] == t.unit_id
            assert sender in sample.admin_addrs or sender not in registered
        elif t.case == "forwarded_inline":
            text = body_text(m.raw)
            assert "原始邮件" in text or "转发邮件信息" in text
            quoted = re.search(r"发件人[:：]\s*\"[^\"]*\"\s*<([^>]+)>", text).group(1)
            assert registered[quoted] == t.unit_id
            assert files_of(m.raw)


# ---- the truth ----------------------------------------------------------------------------------

def test_truth_is_coherent(sample):
    for m in sample.mails:
        t = m.truth
        assert t.status in ("accepted", "superseded", "needs_review", "ignored")
        if t.status == "ignored":
            assert t.unit_id is None and not t.acked
        else:
            assert t.acked
        if t.case in ("docx_only_prose", "pdf_scan", "no_attachment"):
            assert not t.carries_list and not t.activities and t.status in ("needs_review", "superseded")
        if t.case == "unknown_unit":
            assert t.status == "needs_review" and t.unit_id is None and t.carries_list
        if t.carries_list:
            keys = [(a.title, a.start_date) for a in t.activities]
            assert keys and len(set(keys)) == len(keys)
            for a in t.activities:
                assert date(2025, 9, 1) <= a.start_date <= a.end_date <= date(2025, 9, 30)
                assert a.format in ("online", "offline", "hybrid", None)
    # superseded mails are followed by an accepted mail of the same unit
    for i, m in enumerate(sample.mails):
        if m.truth.status == "superseded":
            assert any(o.truth.unit_id == m.truth.unit_id and o.truth.status == "accepted"
                       for o in sample.mails[i + 1:])


def test_both_resubmission_variants_and_late_boundaries(sample):
    by_unit = {}
    for m in sample.mails:
        by_unit.setdefault(m.truth.unit_id, []).append(m.truth)
    kept = superseded = False
    for truths in by_unit.values():
        for i, t in enumerate(truths):
            if t.case == "resubmission":
                earlier = [e for e in truths[:i] if e.carries_list]
                kept |= any(e.status == "accepted" for e in earlier)
                superseded |= any(e.status == "superseded" for e in earlier)
    assert kept and superseded
    late = [m for m in sample.mails if m.truth.case == "late"]
    stamps = {email.message_from_bytes(m.raw)["Date"]: m.truth.late for m in late}
    assert stamps["Fri, 26 Sep 2025 23:30:00 +0800"] is False
    assert stamps["Fri, 26 Sep 2025 17:00:00 +0000"] is True


def test_expected_current_and_units_are_consistent(sample):
    current = sample.expected_current()
    units = sample.expected_units()
    assert set(units) == {u.unit_id for u in sample.units}
    for uid, acts in current.items():
        newest = [m.truth for m in sample.mails if m.truth.unit_id == uid and m.truth.status == "accepted"
                  and m.truth.carries_list][-1]
        assert acts == newest.activities
    submitted = {m.truth.unit_id for m in sample.mails if m.truth.status != "ignored" and m.truth.unit_id}
    for uid, row in units.items():
        assert row["reported"] == len(current.get(uid, []))
        assert row["met"] == (row["reported"] >= row["required"])
        assert row["submitted"] == (uid in submitted)
        first = next((m.truth for m in sample.mails if m.truth.unit_id == uid and m.truth.status != "ignored"), None)
        assert row["late"] == bool(first and first.late)
    flags = Counter((r["submitted"], r["met"]) for r in units.values())
    assert flags[(True, True)] and flags[(True, False)] and flags[(False, False)]
    assert any(r["late"] for r in units.values())


def test_word_table_and_excel_of_one_mail_hold_the_same_list(medium):
    s = medium
    dup = [m for m in s.mails if "count each activity once" in m.truth.note]
    assert dup
    for m in dup:
        files = files_of(m.raw)
        word = next(d for n, d, _ in files if n.endswith(".docx"))
        table = docx.Document(io.BytesIO(word)).tables[0]
        assert len(table.rows) - 1 == len(m.truth.activities)


# ---- spellings normalize back to the truth ------------------------------------------------------

def _ref_dates(value) -> tuple[date, date]:
    """A reference reading of the spellings the generator emits (September 2025 only)."""
    if isinstance(value, date):
        return value, value
    s = re.sub(r"（周.）|\s|2025年|2025[./-]", "", value)
    part = re.fullmatch(r"9月(上|中|下)旬", s)
    if part:
        lo = {"上": 1, "中": 11, "下": 21}[part.group(1)]
        return date(2025, 9, lo), date(2025, 9, lo + 9)
    days = [int(x) for x in re.findall(r"0?9[月./-](\d{1,2})", s)]
    tail = re.search(r"[-—至]+(\d{1,2})日?$", s)
    if len(days) == 1 and tail:
        days.append(int(tail.group(1)))
    return date(2025, 9, days[0]), date(2025, 9, days[-1])


def _ref_count(value) -> int | None:
    if isinstance(value, int):
        return value
    if value in ("", "—", "/"):
        return None
    m = re.search(r"(\d+(?:\.\d+)?)(万)?", value)
    n = float(m.group(1)) * (10000 if m.group(2) else 1)
    return int(round(n))


def test_spellings_mean_the_truth():
    rng = random.Random(1)
    for _ in range(3000):
        d1 = rng.randint(1, 30)
        kind = rng.random()
        start = date(2025, 9, d1)
        end = start if kind < 0.5 else date(2025, 9, rng.randint(d1, 30))
        if kind > 0.9:
            lo = rng.choice([1, 11, 21])
            start, end = date(2025, 9, lo), date(2025, 9, lo + 9)
        v = spell_date(rng, start, end, allow_cell=True)
        assert _ref_dates(v) == (start, end), v
        n = rng.choice([None, rng.randint(1, 3000), rng.randint(11, 60) * 1000])
        c = spell_count(rng, n, allow_number=True)
        assert _ref_count(c) == n, c


# ---- Maildir ------------------------------------------------------------------------------------

def test_write_maildir(sample, tmp_path):
    write_maildir(sample, tmp_path / "inbox")
    names = sorted((tmp_path / "inbox" / "new").iterdir())
    assert len(names) == len(sample.mails)
    md = mailbox.Maildir(tmp_path / "inbox", create=False)
    ids = [md.get_message(p.name)["Message-ID"] for p in names]
    assert ids == [m.message_id for m in sample.mails]
    for p, m in zip(names, sample.mails):
        assert abs(p.stat().st_mtime - m.received.timestamp()) < 1
    assert names[0].read_bytes() == sample.mails[0].raw.replace(b"\r\n", b"\n")
