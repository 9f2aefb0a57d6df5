"""Write ZIP archives byte by byte, the way odd real-world tools do.

Python's zipfile always writes non-ASCII names as UTF-8 with flag bit 11 set; Chinese Windows
(the Explorer "send to compressed folder", old WinRAR) writes GBK bytes without the flag. This
writer takes raw name bytes and flags, and can lie about sizes, so tests can build what units
actually send. Deflate data is produced in chunks, so a gigabyte of zeros costs nothing.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Iterable


@dataclass
class Entry:
    name: bytes | str  # str is written as UTF-8 with the UTF-8 flag
    data: bytes | None = None  # or use ``chunks`` for data too big to hold
    chunks: Iterable[bytes] | None = None
    flags: int = 0  # 0x1 = encrypted, 0x800 = UTF-8 name
    declared_size: int | None = None  # lie about the uncompressed size
    method: int = 8  # 8 = deflate, 0 = stored
    precompressed: tuple[bytes, int, int] | None = None  # (deflate data, crc, size) ready made
    extra: bytes = b""


def zeros_deflated(megabytes: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``megabytes`` MiB of zeros, built from one repeated block.

    A full flush makes each block independent of the ones before, so repeating the block
    bytes is a valid stream: 1 GiB of zeros is ~1 MB of deflate, built without compressing it.
    """
    chunk = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    stream = block * megabytes + b"\x03\x00"  # an empty final block ends the stream
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    return stream, crc, megabytes << 20


def build_zip(entries: list[Entry]) -> bytes:
    out = bytearray()
    central = bytearray()
    for e in entries:
        name = e.name.encode("utf-8") if isinstance(e.name, str) else e.name
        flags = e.flags | (0x800 if isinstance(e.name, str) and not e.name.isascii() else 0)
        if e.precompressed is not None:
            payload, crc, size = e.precompressed
        else:
            payload, crc, size = _compress(e)
        declared = size if e.declared_size is None else e.declared_size
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, e.method, 0, 0x21,
                           crc, len(payload), declared, len(name), len(e.extra))
        out += name + e.extra + payload
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, e.method, 0,
                               0x21, crc, len(payload), declared, len(name), len(e.extra), 0, 0, 0,
                               0, offset)
        central += name + e.extra
    cd_offset = len(out)
    out += central
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                       len(central), cd_offset, 0)
    return bytes(out)


def _compress(e: Entry) -> tuple[bytes, int, int]:
    chunks = [e.data] if e.data is not None else (e.chunks or [])
    crc, size, parts = 0, 0, []
    comp = zlib.compressobj(6, zlib.DEFLATED, -15) if e.method == 8 else None
    for chunk in chunks:
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        parts.append(comp.compress(chunk) if comp else chunk)
    if comp:
        parts.append(comp.flush())
    return b"".join(parts), crc, size


def unicode_path_extra(name: str, header_name: bytes) -> bytes:
    """Info-ZIP Unicode Path extra field (0x7075): the UTF-8 name beside a legacy one."""
    body = b"\x01" + struct.pack("<I", zlib.crc32(header_name)) + name.encode("utf-8")
    return struct.pack("<HH", 0x7075, len(body)) + body


def gbk_zip(files: list[tuple[str, bytes]]) -> bytes:
    """A zip of (name, bytes) pairs with GBK names and no UTF-8 flag, as Chinese Windows writes."""
    return build_zip([Entry(n.encode("gbk"), d) for n, d in files])
