"""File type by content, not by extension alone.

``detect_kind`` looks at magic bytes at offset 0, then inside containers: the directory of an
OLE2 compound file (old Office, WPS, Outlook .msg) and the member names of a ZIP (OOXML, ODF).
The extension only breaks ties the content cannot (.doc vs .wps, .xls vs .et).
"""
from __future__ import annotations

import io
import re
import struct
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_MAX_DIR_ENTRIES = 4096
_MAX_ZIP_SCAN = 2000


def is_encrypted(data: bytes) -> bool:
    """A password-protected Office file (OLE2 .doc/.xls/.wps/.et, OOXML inside OLE2, or ODF)."""
    return data.startswith(OLE_MAGIC) and _ole_kind(data, "") == "encrypted" or \
        data.startswith(_ZIP_MAGICS) and _zip_kind(data, "") == "encrypted"


def detect_kind(name: str, data: bytes, content_type: str = "") -> str:
    """One of docx|xlsx|xlsm|xlsb|pptx|ods|odt|xls|doc|wps|et|ppt|pdf|zip|tnef|rar|7z|gz|image|
    text|msg|eml|encrypted|other."""
    ext = _ext(name)
    head = data[:16]
    if not data:
        return "other"
    if head.startswith(OLE_MAGIC):
        return _ole_kind(data, ext)
    if head.startswith(_ZIP_MAGICS):
        return _zip_kind(data, ext)
    if head.startswith(b"\x78\x9f\x3e\x22"):
        return "tnef"  # Outlook's winmail.dat (application/ms-tnef)
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if _is_image(data, ext):
        return "image"
    if head.startswith(b"{\\rtf") and ext in ("doc", "wps", "rtf", "docx"):
        return "doc"  # Word/WPS save RTF under .doc; LibreOffice reads it like a .doc
    if head[:2] in (b"\x31\xbe", b"\x32\xbe") and head[2:4] == b"\x00\x00" and ext in ("doc", "wri"):
        return "doc"  # MS Write / Word for DOS
    if _is_raw_biff(data) and ext in ("xls", "xlt", "et", ""):
        return "et" if ext == "et" else "xls"  # Excel 2-5 worksheet without an OLE container
    text = _as_text(data[:8192])
    if text is not None:
        if ext == "eml" or "message/rfc822" in content_type or _looks_like_mail(text):
            return "eml"
        return "text"
    return "other"


def _ext(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


# --- OLE2 / Compound File Binary -------------------------------------------------------------

def ole_streams(data: bytes) -> dict[str, tuple[int, int]]:
    """Directory of a compound file: lower-case entry name -> (start sector, size).

    Follows the directory chain through the FAT; when the FAT is corrupt (fuzzed or truncated
    files), falls back to scanning every 128-byte aligned slot for a plausible directory entry.
    """
    return _ole_parse(data)[0]


def _ole_parse(data: bytes) -> tuple[dict[str, tuple[int, int]], list[int]]:
    try:
        entries, fat = _ole_dir_by_chain(data)
    except (ValueError, struct.error, IndexError):
        entries, fat = {}, []
    return (entries or _ole_dir_by_scan(data)), fat


def _ole_header(data: bytes) -> tuple[int, int]:
    sector_shift = struct.unpack_from("<H", data, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise ValueError("bad sector size")
    first_dir = struct.unpack_from("<I", data, 0x30)[0]
    return 1 << sector_shift, first_dir


def _ole_dir_by_chain(data: bytes) -> tuple[dict[str, tuple[int, int]], list[int]]:
    ssize, first_dir = _ole_header(data)
    n_sectors = max(0, (len(data) - 512) // ssize)
    # FAT sector numbers: 109 in the header, more in the DIFAT chain.
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < n_sectors]
    difat, seen = struct.unpack_from("<I", data, 0x44)[0], set[int]()
    while difat < n_sectors and difat not in seen and len(seen) < 1000:
        seen.add(difat)
        vals = struct.unpack_from(f"<{ssize // 4}I", data, 512 + difat * ssize)
        fat_sectors += [s for s in vals[:-1] if s < n_sectors]
        difat = vals[-1]
    fat: list[int] = []
    for s in fat_sectors:
        fat += struct.unpack_from(f"<{ssize // 4}I", data, 512 + s * ssize)
    entries: dict[str, tuple[int, int]] = {}
    sector, visited = first_dir, set()
    while sector < min(n_sectors, len(fat)) and sector not in visited and len(entries) < _MAX_DIR_ENTRIES:
        visited.add(sector)
        base = 512 + sector * ssize
        for off in range(base, base + ssize, 128):
            entry = _dir_entry(data, off)
            if entry:
                entries.setdefault(entry[0], entry[1:])
        sector = fat[sector]
    return entries, fat


def _ole_dir_by_scan(data: bytes) -> dict[str, tuple[int, int]]:
    entries: dict[str, tuple[int, int]] = {}
    for off in range(512, len(data) - 127, 128):
        entry = _dir_entry(data, off)
        if entry:
            entries.setdefault(entry[0], entry[1:])
            if len(entries) >= _MAX_DIR_ENTRIES:
                break
    return entries


def _dir_entry(data: bytes, off: int) -> tuple[str, int, int] | None:
    if off + 128 > len(data):
        return None
    name_len, kind = struct.unpack_from("<HB", data, off + 0x40)
    if kind not in (1, 2, 5) or not 2 <= name_len <= 64 or name_len % 2:
        return None
    raw = data[off:off + name_len - 2]
    if data[off + name_len - 2:off + name_len] != b"\0\0":
        return None
    try:
        name = raw.decode("utf-16-le")
    except UnicodeDecodeError:
        return None
    if not name or "\0" in name:
        return None
    start, size = struct.unpack_from("<II", data, off + 0x74)
    return name.lower(), start, size


def _ole_kind(data: bytes, ext: str) -> str:
    streams, fat = _ole_parse(data)
    names = set(streams)
    if "encryptedpackage" in names or "encryptioninfo" in names:
        return "encrypted"  # an OOXML file with a password: the zip sits encrypted inside
    if any(n.startswith("__substg1.0_") for n in names):
        return "msg"
    if "worddocument" in names:
        if _word_encrypted(_stream_head(data, streams, fat, "worddocument")):
            return "encrypted"
        return "wps" if ext == "wps" else "doc"
    if "workbook" in names or "book" in names:
        head = _stream_head(data, streams, fat, "workbook" if "workbook" in names else "book")
        if biff_encrypted(head):
            return "encrypted"
        return "et" if ext == "et" else "xls"
    if "powerpoint document" in names:
        return "ppt"
    if ext in ("doc", "wps", "xls", "et", "ppt", "dps"):
        return {"dps": "ppt"}.get(ext, ext)  # broken directory: trust the extension
    return "other"


def _stream_head(data: bytes, streams: dict, fat: list[int], name: str) -> bytes:
    """The first bytes of a stream (one sector, or one 64-byte mini sector for small streams)."""
    try:
        ssize, _ = _ole_header(data)
        cutoff = struct.unpack_from("<I", data, 0x38)[0] or 4096
        start, size = streams[name]
        if size >= cutoff:
            return data[512 + start * ssize: 512 + (start + 1) * ssize]
        # Small streams live in the ministream: a regular chain starting at the root entry.
        offset = start * 64
        sector = streams["root entry"][0]
        for _ in range(offset // ssize):
            sector = fat[sector]
        pos = 512 + sector * ssize + offset % ssize
        return data[pos:pos + 64]
    except (ValueError, KeyError, IndexError, struct.error):
        return b""


def _word_encrypted(fib: bytes) -> bool:
    if len(fib) < 12:
        return False
    # FIB: wIdent 0xA5EC (Word 97+) or 0xA5DC (Word 6/95); flags word at 0x0A, bit 8 = fEncrypted.
    ident, flags = struct.unpack_from("<H", fib, 0)[0], struct.unpack_from("<H", fib, 0x0A)[0]
    return ident in (0xA5EC, 0xA5DC) and bool(flags & 0x0100)


def biff_encrypted(stream: bytes) -> bool:
    # A FILEPASS record (0x002F) follows the workbook BOF when the file has a password.
    pos = 0
    for _ in range(4):
        if pos + 4 > len(stream):
            return False
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        if rtype == 0x002F:
            return True
        pos += 4 + rlen
    return False


def _is_raw_biff(data: bytes) -> bool:
    if len(data) < 8:
        return False
    rtype, rlen = struct.unpack_from("<HH", data, 0)
    return rtype in (0x0009, 0x0209, 0x0409, 0x0809) and 4 <= rlen <= 20


# --- ZIP: OOXML, ODF or a plain archive ------------------------------------------------------

_OOXML_MAIN = (
    ("wordprocessingml.document.main", "docx"),
    ("ms-word.document.macroenabled.main", "docx"),
    ("wordprocessingml.template.main", "docx"),
    ("spreadsheetml.sheet.main", "xlsx"),
    ("spreadsheetml.template.main", "xlsx"),
    ("ms-excel.sheet.macroenabled.main", "xlsm"),
    ("ms-excel.sheet.binary.macroenabled.main", "xlsb"),
    ("presentationml.presentation.main", "pptx"),
    ("ms-powerpoint.presentation.macroenabled.main", "pptx"),
)


_OFFICE_ZIP_EXT = {"docx": "docx", "docm": "docx", "dotx": "docx", "xlsx": "xlsx", "xlsm": "xlsm",
                   "xlsb": "xlsb", "pptx": "pptx", "ods": "ods", "odt": "odt"}


def _zip_kind(data: bytes, ext: str) -> str:
    damaged = False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()[:_MAX_ZIP_SCAN]
            ctypes = _read_small(zf, "[Content_Types].xml")
            mimetype = _read_small(zf, "mimetype")
            manifest = _read_small(zf, "META-INF/manifest.xml", 1_000_000)
    except Exception:  # truncated or damaged: read what the local headers still say
        damaged = True
        names, ctypes, mimetype, manifest = _local_names(data), b"", b"", b""
        if "mimetype" in names:
            m = re.match(rb"PK\x03\x04.{26}mimetype(application/[\w.+-]+)", data[:200], re.S)
            mimetype = m.group(1) if m else b""
    lower = [n.lower() for n in names]
    if mimetype or "mimetype" in lower:
        if b"encryption-data" in manifest:
            return "encrypted"
        if b"opendocument.spreadsheet" in mimetype or ext == "ods":
            return "ods"
        if b"opendocument.text" in mimetype or ext == "odt":
            return "odt"
    if ctypes or "[content_types].xml" in lower:
        text = ctypes.decode("utf-8", "replace").lower()
        for marker, kind in _OOXML_MAIN:
            if marker in text:
                return kind
        if any(n.startswith("word/") for n in lower):
            return "docx"
        if any(n.startswith("xl/") for n in lower):
            if any(n.endswith(".bin") and n.startswith("xl/worksheets/") for n in lower):
                return "xlsb"
            return "xlsm" if ext == "xlsm" or "xl/vbaproject.bin" in lower else "xlsx"
        if any(n.startswith("ppt/") for n in lower):
            return "pptx"
        if ext in ("docx", "xlsx", "xlsm", "pptx"):
            return ext
    if (damaged or not names) and ext in _OFFICE_ZIP_EXT:
        return _OFFICE_ZIP_EXT[ext]  # a broken or empty package: let its own reader say so
    return "zip"


def _read_small(zf: zipfile.ZipFile, member: str, cap: int = 200_000) -> bytes:
    for info in zf.infolist():
        if info.filename.lower() == member.lower():
            if info.file_size > cap or info.flag_bits & 0x1:
                return b""
            try:
                with zf.open(info) as f:
                    return f.read(cap)
            except Exception:
                return b""
    return b""


def _local_names(data: bytes) -> list[str]:
    """Member names from consecutive local file headers (no central directory needed)."""
    names: list[str] = []
    pos = 0
    while len(names) < _MAX_ZIP_SCAN and data[pos:pos + 4] == b"PK\x03\x04" and pos + 30 <= len(data):
        flags, _, _, _, _, csize, _, nlen, xlen = struct.unpack_from("<HHHHIIIHH", data, pos + 6)
        names.append(data[pos + 30:pos + 30 + nlen].decode("utf-8", "replace"))
        if flags & 0x08:  # sizes follow the data: no cheap way to the next header
            break
        pos += 30 + nlen + xlen + csize
    return names


# --- images and text -------------------------------------------------------------------------

def _is_image(data: bytes, ext: str) -> bool:
    head = data[:32]
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a",
                        b"II*\x00", b"MM\x00*")):
        return True
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return True
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"heif", b"mif1", b"msf1", b"avif"):
        return True
    if head.startswith(b"BM") and len(data) >= 26:
        declared = struct.unpack_from("<I", data, 2)[0]
        return declared == len(data) or ext == "bmp"
    return False


def _as_text(sample: bytes) -> str | None:
    """The sample decoded when it reads as text (UTF-8/16 or GB18030), else None."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return sample.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\0" in sample:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            text = sample.decode(enc)
            break
        except UnicodeDecodeError as e:
            if e.start >= len(sample) - 4:  # cut mid-character at the end of the sample
                text = sample[:e.start].decode(enc, "ignore")
                break
    else:
        return None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t\f")
    return text if controls <= len(text) // 100 else None


_MAIL_HEADERS = re.compile(
    r"^(received|return-path|from|to|subject|date|message-id|mime-version|content-type|"
    r"delivered-to|x-[\w-]+|reply-to|cc|dkim-signature|authentication-results):", re.I)


def _looks_like_mail(text: str) -> bool:
    lines = text.splitlines()[:40]
    if not lines or not re.match(r"^[\x21-\x39\x3b-\x7e]+:", lines[0]):
        return False
    hits = {m.group(1).lower() for line in lines if (m := _MAIL_HEADERS.match(line))}
    return len(hits & {"from", "to", "subject", "date", "received", "message-id", "mime-version"}) >= 3
