"""Write tiny OLE2 compound files (the container of .doc/.xls/.wps/.et/.msg) for tests.

Version 3, 512-byte sectors, one FAT sector, every stream padded to 4096 bytes so that no
ministream is needed. Enough for a reader that walks the directory, not for Word itself.
"""
from __future__ import annotations

import struct

FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR = 512


def build_ole(streams: list[tuple[str, bytes]]) -> bytes:
    entries = [("Root Entry", 5, b"")] + [(n, 2, d.ljust(4096, b"\0")) for n, d in streams]
    dir_sectors = (len(entries) + 3) // 4
    fat = [FATSECT] + _chain(1, dir_sectors)
    body = bytearray()
    starts = []
    next_sector = 1 + dir_sectors
    for _, kind, data in entries:
        if kind == 5:
            starts.append(END)
            continue
        n = len(data) // SECTOR
        starts.append(next_sector)
        fat += _chain(next_sector, n)
        body += data
        next_sector += n
    if len(fat) > SECTOR // 4:
        raise ValueError("too much data for one FAT sector")
    fat_sector = struct.pack(f"<{SECTOR // 4}I", *(fat + [FREE] * (SECTOR // 4 - len(fat))))

    directory = bytearray()
    for i, (name, kind, data) in enumerate(entries):
        raw = name.encode("utf-16-le") + b"\0\0"
        child = 1 if kind == 5 and len(entries) > 1 else NOSTREAM
        right = i + 1 if kind == 2 and i + 1 < len(entries) else NOSTREAM
        directory += raw.ljust(64, b"\0")
        directory += struct.pack("<HBBIII", len(raw), kind, 1, NOSTREAM, right, child)
        directory += bytes(16 + 4 + 16)  # clsid, state bits, times
        directory += struct.pack("<III", starts[i], len(data), 0)
    directory = bytes(directory).ljust(dir_sectors * SECTOR, b"\0")

    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16))
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
    header += struct.pack("<109I", 0, *([FREE] * 108))
    return bytes(header) + fat_sector + directory + bytes(body)


def _chain(first: int, count: int) -> list[int]:
    return [first + k + 1 for k in range(count - 1)] + [END] if count else []


def word_fib(encrypted: bool = False) -> bytes:
    """The start of a WordDocument stream: FIB magic, version, flags (bit 8 = encrypted)."""
    flags = 0x0100 if encrypted else 0
    return struct.pack("<HHHHHH", 0xA5EC, 0x00C1, 0, 0, 0, flags) + bytes(20)


def biff_workbook(encrypted: bool = False) -> bytes:
    """BOF record, then FILEPASS (RC4) when encrypted, then EOF."""
    out = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 5, 0, 0, 0, 0)
    if encrypted:
        out += struct.pack("<HH", 0x002F, 6) + struct.pack("<HHH", 1, 1, 1)
    return out + struct.pack("<HH", 0x000A, 0)
