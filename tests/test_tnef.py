"""Outlook's winmail.dat (TNEF) carrying the files (issue 16 point 6).

Evidence from TNEF other encoders wrote: Outlook/Exchange files from tnefparse's test data
(tests/fixtures/tnef/SOURCE.md) and an Outlook 16 mail from MimeKit's test data (../shared/corpus).
No installable program encodes TNEF (Debian's ``tnef`` and every library found only decode), so the
Chinese names are packed below by a minimal writer of the format ([MS-OXTNEF] 2.1): an 8-bit title
in code page 936, the same bytes under a wrongly declared Western code page, and a UTF-16 long name.
The spreadsheet they carry is written by LibreOffice; expected values are written by hand.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

import clientmail
import pytest
from corpus import CORPUS

from parsers.read_file import extract_file
from parsers.read_mail import read_mail
from parsers.tnef import unpack_tnef

FIXTURES = Path(__file__).parent / "fixtures" / "tnef"
NAME = "唐山市科技馆科普月活动统计表.xlsx"


def _need(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.parametrize("fixture, names", [
    ("two-files.tnef", ["AUTHORS", "README"]),
    ("umlaut.tnef", ["TBZ PARIV GmbH.jpg", "image003.jpg", "UmlautAnhang-äüö.txt"]),
    ("unicode-mapi-attr.tnef", ["example.dat"]),
])
def test_outlook_files_are_unpacked_with_their_names(fixture, names):
    assert [c.name for c in unpack_tnef((FIXTURES / fixture).read_bytes())] == names


def test_carried_files_are_read_like_any_attachment():
    results = extract_file("winmail.dat", (FIXTURES / "two-files.tnef").read_bytes(), "application/ms-tnef")
    assert [(r.name, r.kind, r.status) for r in results] == [
        ("winmail.dat", "tnef", "parsed"), ("winmail.dat/AUTHORS", "text", "parsed"),
        ("winmail.dat/README", "text", "parsed")]


def test_a_damaged_winmail_dat_is_a_reason_not_a_crash():
    [result] = extract_file("winmail.dat", b"\x78\x9f\x3e\x22" + b"\x01" * 40, "application/ms-tnef")
    assert result.status in ("failed", "skipped") and "winmail.dat" in result.error


def test_outlook_16_mail_from_mimekit():
    path = CORPUS / "mail" / "mk__rich-text.eml"
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared corpus)")
    content = read_mail(path.read_bytes(), 2025)
    assert "winmail.dat/kitten-playing-with-a-christmas-tree.jpg" in [f.name for f in content.files]
    assert not [f for f in content.files if f.error == "不支持的文件类型" and f.name == "winmail.dat"]


# --- Chinese names ---------------------------------------------------------------------------------

def _attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def _mapi_unicode(prop_id: int, text: str) -> bytes:
    value = text.encode("utf-16-le") + b"\x00\x00"
    padded = value + b"\x00" * (-len(value) % 4)
    return struct.pack("<IHHII", 1, 0x001F, prop_id, 1, len(value)) + padded


def tnef(name: str, data: bytes, codepage: int, title: bytes, long_name: bool) -> bytes:
    """A winmail.dat carrying one file: 8-bit title ``title`` under ``codepage``, and optionally the
    UTF-16 long file name (PR_ATTACH_LONG_FILENAME, 0x3707)."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += _attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += _attribute(1, 0x9007, 0x0006, struct.pack("<II", codepage, 0))  # attOemCodepage
    out += _attribute(2, 0x9002, 0x0006, struct.pack("<HIIHH", 1, 0xFFFFFFFF, 0, 0, 0))  # attAttachRendData
    out += _attribute(2, 0x8010, 0x0001, title + b"\x00")  # attAttachTitle
    out += _attribute(2, 0x800F, 0x0006, data)  # attAttachData
    if long_name:
        out += _attribute(2, 0x9005, 0x0006, _mapi_unicode(0x3707, name))  # attAttachment (MAPI props)
    return out


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory):
    try:
        files = clientmail._soffice({NAME: clientmail._rows("科技馆", 4, 6, "唐山市科技馆")}, tmp_path_factory.mktemp("lo"))
    except clientmail.ClientMissing as exc:
        _need(str(exc))
    return files[NAME]


@pytest.mark.parametrize("codepage, title, long_name", [
    (936, NAME.encode("gbk"), False),  # a Chinese Outlook: the title in GBK, declared
    (1252, NAME.encode("gbk"), False),  # the same bytes under a Western code page
    (1252, b"TANGSH~1.XLS", True),  # Unicode TNEF: the long name in UTF-16
])
def test_chinese_names_in_gbk_and_utf16(xlsx, codepage, title, long_name):
    [carried] = unpack_tnef(tnef(NAME, xlsx, codepage, title, long_name))
    assert carried.name == NAME and carried.data == xlsx


def test_a_real_client_mail_with_winmail_dat_counts_its_activities(xlsx, tmp_path):
    try:
        clients = clientmail.Clients(tmp_path)
    except clientmail.ClientMissing as exc:
        _need(str(exc))
    dat = clients.file("winmail.dat", tnef(NAME, xlsx, 936, NAME.encode("gbk"), True))
    raw = clients.mutt("唐山市科技馆 <tskjg@126.com>", clientmail.MAILBOX, "唐山市科技馆科普月活动统计表",
                       "您好，统计表见附件。\n", [dat])
    content = read_mail(raw, 2025)
    assert [f.name for f in content.files] == ["winmail.dat", f"winmail.dat/{NAME}"]
    assert len(content.activities) == 4 and content.activities[0].title == "科技馆科普活动第1场"
