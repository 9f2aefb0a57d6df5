"""open_zip: GBK names, path tricks, junk entries, passwords and zip bombs."""
import io
import tracemalloc
import zipfile

import pytest
from officebuild_zip import Entry, build_zip, gbk_zip, unicode_path_extra, zeros_deflated

from parsers.zipread import ArchiveError, clean_name, open_zip


def traced(fn, *args):
    """fn(*args) and the peak of Python memory it allocated on the way."""
    tracemalloc.start()
    try:
        return fn(*args), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def names(data: bytes, **limits) -> list[str]:
    return [m.name for m in open_zip(data, **limits)[0]]


# --- names --------------------------------------------------------------------------------------

def test_gbk_names_without_utf8_flag_are_decoded():
    data = gbk_zip([("路北区科协/2025年科普日活动总结.docx", b"a"), ("活动统计表.xlsx", b"b")])
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[1] != "活动统计表.xlsx"  # zipfile alone garbles it
    members, notes = open_zip(data)
    assert [m.name for m in members] == ["路北区科协/2025年科普日活动总结.docx", "活动统计表.xlsx"]
    assert [m.data for m in members] == [b"a", b"b"] and notes == []


def test_utf8_names_with_and_without_flag():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # Python sets the UTF-8 flag for non-ASCII names
        zf.writestr("汇总表.xlsx", b"x")
    assert names(buf.getvalue()) == ["汇总表.xlsx"]
    # macOS tools and some web exporters write UTF-8 bytes without the flag
    assert names(build_zip([Entry("汇总表.xlsx".encode("utf-8"), b"x")])) == ["汇总表.xlsx"]


def test_unicode_path_extra_field_wins():
    legacy = "总结.docx".encode("gbk")
    data = build_zip([Entry(legacy, b"x", extra=unicode_path_extra("總結.docx", legacy))])
    assert names(data) == ["總結.docx"]


@pytest.mark.parametrize("raw,clean", [
    ("../../etc/passwd", "etc/passwd"),
    ("/abs/总结.docx", "abs/总结.docx"),
    ("C:\\Users\\科协\\总结.docx", "Users/科协/总结.docx"),
    ("a/./b/../c.xlsx", "a/b/c.xlsx"),
    ("bad\x00name.doc", "badname.doc"),
    ("..", "未命名文件"),
])
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_path_tricks_inside_an_archive():
    data = build_zip([Entry(b"../../evil.docx", b"1"), Entry(b"C:\\temp\\x.xlsx", b"2"),
                      Entry(b"/etc/cron.d/job", b"3")])
    assert names(data) == ["evil.docx", "temp/x.xlsx", "etc/cron.d/job"]


def test_junk_and_directories_are_skipped():
    data = build_zip([
        Entry(b"docs/", b""), Entry(b"__MACOSX/._a.docx", b"x"), Entry(b"docs/.DS_Store", b"x"),
        Entry(b"Thumbs.db", b"x"), Entry(b"docs/._b.xlsx", b"x"), Entry(b"docs/a.docx", b"real"),
    ])
    assert names(data) == ["docs/a.docx"]


def test_duplicate_names_made_unique():
    data = build_zip([Entry(b"a.docx", b"1"), Entry(b"./a.docx", b"2"), Entry(b"a.docx", b"3")])
    assert names(data) == ["a.docx", "a(2).docx", "a(3).docx"]


# --- passwords, damage ----------------------------------------------------------------------------

def test_encrypted_member_noted_others_read():
    data = build_zip([Entry("总结.docx", b"secret", flags=0x1), Entry("活动.xlsx", b"open")])
    members, notes = open_zip(data)
    assert [m.name for m in members] == ["活动.xlsx"]
    assert len(notes) == 1 and "总结.docx" in notes[0] and "压缩包设有密码" in notes[0]


def test_all_members_encrypted_is_an_archive_error():
    data = build_zip([Entry("总结.docx", b"secret", flags=0x1), Entry("活动.xlsx", b"x", flags=0x1)])
    with pytest.raises(ArchiveError, match="压缩包设有密码"):
        open_zip(data)


def test_real_zipcrypto_archive_is_detected_as_encrypted():
    # Python cannot write ZipCrypto; flip the flag bit on a stored member and the result reads
    # exactly like an encrypted archive to every reader.
    data = bytearray(build_zip([Entry("a.txt", b"hello", method=0)]))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        pos = data.index(sig)
        flag_at = pos + (6 if sig == b"PK\x03\x04" else 8)
        data[flag_at] |= 0x1
    with pytest.raises(ArchiveError, match="密码"):
        open_zip(bytes(data))


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"not a zip at all", b"PK\x05\x06" + bytes(5)])
def test_corrupt_zip_is_an_archive_error(data):
    with pytest.raises(ArchiveError, match="压缩包已损坏"):
        open_zip(data)


def test_truncated_zip_is_an_archive_error():
    data = gbk_zip([("总结.docx", bytes(range(256)) * 100)])
    with pytest.raises(ArchiveError):
        open_zip(data[: len(data) - 30])


def test_empty_zip_yields_nothing_with_a_note():
    assert open_zip(build_zip([])) == ([], ["压缩包内没有文件"])


def test_crc_mismatch_member_skipped_with_note():
    data = bytearray(build_zip([Entry("a.txt", b"hello world", method=0), Entry("b.txt", b"ok")]))
    data[data.index(b"hello")] = ord("j")
    members, notes = open_zip(bytes(data))
    assert [m.name for m in members] == ["b.txt"] and "a.txt" in notes[0] and "损坏" in notes[0]


def test_unsupported_compression_method_noted():
    data = build_zip([Entry("a.txt", b"abc", method=0), Entry("b.txt", b"xyz", method=0)])
    data = bytearray(data)
    for sig, off in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        pos = data.index(sig)
        data[pos + off] = 98  # PPMd: zipfile cannot decompress it
    members, notes = open_zip(bytes(data))
    assert [m.name for m in members] == ["b.txt"] and "压缩方式不受支持" in notes[0]


# --- limits and bombs --------------------------------------------------------------------------------

def test_gigabyte_bomb_skipped_quickly_by_declared_size():
    bomb = zeros_deflated(1024)
    assert len(bomb[0]) < 2_000_000  # 1 GiB of zeros in ~1 MB
    data = build_zip([Entry("bomb.xlsx", precompressed=bomb), Entry("总结.docx", b"real")])
    (members, notes), peak = traced(open_zip, data)
    assert peak < 20_000_000, peak  # the 1 GiB entry was never inflated
    assert [m.name for m in members] == ["总结.docx"]
    assert "bomb.xlsx" in notes[0] and "过大" in notes[0]


def test_bomb_with_lying_declared_size_reads_no_further_than_declared():
    data = build_zip([Entry("bomb.xlsx", precompressed=zeros_deflated(1024), declared_size=10_000),
                      Entry("ok.txt", b"ok")])
    (members, notes), peak = traced(open_zip, data)
    assert peak < 20_000_000, peak  # inflation stopped at the declared size
    assert [m.name for m in members] == ["ok.txt"] and "bomb.xlsx" in notes[0]


def test_suspicious_ratio_skipped():
    data = build_zip([Entry("z.xlsx", precompressed=zeros_deflated(20)), Entry("ok.txt", b"ok")])
    members, notes = open_zip(data)  # 20 MB from ~20 KB: ratio ~1000
    assert [m.name for m in members] == ["ok.txt"] and "压缩比异常" in notes[0]


def test_stream_cap_enforces_total_budget_even_when_declared_sizes_pass():
    entries = [Entry(f"part{i}.bin", precompressed=zeros_deflated(30)) for i in range(3)]
    members, notes = open_zip(build_zip(entries), max_ratio=10**6, max_total_bytes=80_000_000)
    assert [m.name for m in members] == ["part0.bin", "part1.bin"]
    assert "part2.bin" in notes[0] and "过大" in notes[0]


def test_whole_archive_of_bombs_is_an_archive_error():
    data = build_zip([Entry("a.xlsx", precompressed=zeros_deflated(100))])
    with pytest.raises(ArchiveError, match="无法读取"):
        open_zip(data)


def test_too_many_members_keeps_documents_first():
    entries = [Entry(f"照片{i}.jpg", b"jpg") for i in range(10)] + [Entry("总结.docx", b"doc")]
    members, notes = open_zip(build_zip(entries), max_members=5)
    assert len(members) == 5 and members[0].name == "总结.docx"
    assert "文件过多" in notes[0]
