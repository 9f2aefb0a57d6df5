"""ZIP members, read safely.

Chinese Windows writes member names in GBK without the UTF-8 flag; zip bombs declare small
sizes and expand without end; names may try to climb out with ``../``. ``open_zip`` returns
the readable members with clean names, and a note (in Chinese) for every member it skipped.
"""
from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from parsers import ParserError

from .mailtext import utf8_or_gb18030
from .parsed import LIMIT_FLAG

_CHUNK = 1 << 20
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_IMAGE_EXT = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".heic", ".tif", ".tiff", ".webp")


@dataclass
class Member:
    name: str
    data: bytes


class ArchiveError(ParserError):
    """The archive as a whole cannot be read; the message is the reason, in Chinese."""

    @property
    def reason(self) -> str:
        return str(self)


def open_zip(data: bytes, *, max_members: int = 200, max_member_bytes: int = 60_000_000,
             max_total_bytes: int = 200_000_000, max_ratio: int = 200) -> tuple[list[Member], list[str]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error) as e:
        raise ArchiveError("压缩包已损坏，无法打开，请重新压缩后发送") from e

    notes: list[str] = []
    entries = []  # (clean name, info)
    for info in infos:
        raw_name = member_name(info)
        if info.is_dir() or raw_name.endswith(("/", "\\")) or _is_junk(raw_name):
            continue
        entries.append((clean_name(raw_name), info))
    if not entries:
        return [], ["压缩包内没有文件"]
    if len(entries) > max_members:
        # Pictures matter least: keep documents first when we must cut.
        entries.sort(key=lambda e: e[0].lower().endswith(_IMAGE_EXT))
        notes.append(f"{LIMIT_FLAG}压缩包内文件过多（{len(entries)}个），只读取了前{max_members}个；"
                     "如活动明细表不在其中，请直接添加为附件或分几个压缩包发送")
        entries = entries[:max_members]

    members: list[Member] = []
    total, encrypted, used_names = 0, 0, set[str]()
    for name, info in entries:
        name = _unique(name, used_names)
        if info.flag_bits & 0x1:
            encrypted += 1
            notes.append(f"{name}：压缩包设有密码，无法读取")
            continue
        if info.file_size > max_member_bytes:
            notes.append(f"{LIMIT_FLAG}{name}：文件解压后过大（{info.file_size // 1_000_000} MB），未读取")
            continue
        if info.file_size > 1_000_000 and info.file_size > max_ratio * max(info.compress_size, 1):
            notes.append(f"{name}：压缩比异常（疑似压缩炸弹），未读取")
            continue
        budget = min(max_member_bytes, max_total_bytes - total)
        if budget <= 0:
            notes.append(f"{LIMIT_FLAG}{name}：压缩包解压后总量超过{max_total_bytes // 1_000_000} MB，"
                         "此文件及其后的文件未读取")
            break
        content, problem = _read_capped(zf, info, budget, max_ratio)
        if problem:
            notes.append(f"{name}：{problem}")
            continue
        total += len(content)
        members.append(Member(name, content))

    if not members:
        if encrypted and encrypted == len(entries):
            raise ArchiveError("压缩包设有密码，无法打开，请去掉密码后重新发送")
        raise ArchiveError("压缩包内的文件都无法读取：" + "；".join(notes[:3]))
    return members, notes


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, max_ratio: int) -> tuple[bytes, str]:
    """Stream-read one member, stopping at ``cap`` bytes: declared sizes may lie."""
    ratio_cap = max(max_ratio * max(info.compress_size, 1), 1_000_000)
    out = bytearray()
    try:
        with zf.open(info) as f:
            while True:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                out += chunk
                if len(out) > cap:
                    return b"", "文件解压后过大，未读取"
                if len(out) > ratio_cap:
                    return b"", "压缩比异常（疑似压缩炸弹），未读取"
    except NotImplementedError:
        return b"", "压缩方式不受支持，请用常见的ZIP格式重新压缩"
    except RuntimeError as e:  # zipfile raises RuntimeError for encrypted members
        if "encrypt" in str(e).lower() or "password" in str(e).lower():
            return b"", "压缩包设有密码，无法读取"
        return b"", "文件已损坏，无法解压"
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error):
        return b"", "文件已损坏，无法解压"
    return bytes(out), ""


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as the author saw it.

    Without the UTF-8 flag (bit 11) zipfile decodes names as cp437; Chinese Windows wrote
    them in GBK. An Info-ZIP Unicode Path extra field (0x7075) wins when present.
    """
    unicode_path = _unicode_path_extra(info.extra)
    if unicode_path:
        return unicode_path
    name = info.orig_filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name  # zipfile was told another encoding; keep what it made
    return utf8_or_gb18030(raw) or name  # some tools write UTF-8 without setting the flag


def _unicode_path_extra(extra: bytes) -> str:
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4:pos + 4 + size]
        if tag == 0x7075 and len(body) > 5 and body[0] == 1:
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return ""
        pos += 4 + size
    return ""


def clean_name(name: str) -> str:
    """A relative path with no way out: no ``..``, no root, no drive letter, no control chars."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", name.replace("\\", "/"))
    name = re.sub(r"^[A-Za-z]:", "", name)
    parts = [p.strip() for p in name.split("/")]
    parts = [p for p in parts if p not in ("", ".", "..")]
    return posixpath.join(*parts) if parts else "未命名文件"


def _is_junk(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    base = parts[-1].lower()
    return "__MACOSX" in parts or base in _JUNK_NAMES or base.startswith("._")


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        stem, dot, ext = name.rpartition(".")
        candidate = f"{stem}({n}).{ext}" if dot and stem else f"{name}({n})"
        n += 1
    used.add(candidate)
    return candidate
