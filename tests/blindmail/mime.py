"""Raw MIME written byte by byte, so that each client's layout (boundaries, charsets, header encodings,
part order) is exactly what that client sends, not what Python's email package would choose."""
from __future__ import annotations

import base64
import email.utils
import io
import quopri
import re
import zipfile
from datetime import datetime
from urllib.parse import quote


def b64(data: bytes) -> bytes:
    text = base64.b64encode(data)
    return b"\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def qp(text: str, charset: str) -> bytes:
    return quopri.encodestring(text.replace("\n", "\r\n").encode(charset)).replace(b"=\r\n", b"=\r\n")


def word(text: str, charset: str = "gb2312", enc: str = "B", chunk: int = 0, codec: str = "") -> str:
    """RFC 2047 encoded-words; ``chunk`` > 0 splits the text into words of that many characters
    (Foxmail and Outlook split long names and subjects, always at a character boundary)."""
    pieces = [text[i:i + chunk] for i in range(0, len(text), chunk)] if chunk else [text]
    out = []
    for piece in pieces:
        raw = piece.encode(codec or charset)
        if enc == "B":
            out.append(f"=?{charset}?B?{base64.b64encode(raw).decode()}?=")
        else:
            body = "".join(chr(b) if 33 <= b < 127 and b not in b"=?_" else f"={b:02X}" for b in raw)
            out.append(f"=?{charset}?Q?{body}?=")
    return "\r\n\t".join(out) if chunk else out[0]


def rfc2231(name: str, cont: int = 0) -> str:
    """filename*=utf-8''… (Apple Mail, nodemailer); ``cont`` > 0 splits it into filename*0*, filename*1*…
    of at most ``cont`` characters, never inside a %XX escape."""
    enc = quote(name.encode("utf-8"), safe="")
    if not cont:
        return f"filename*=utf-8''{enc}"
    tokens = re.findall(r"%[0-9A-F]{2}|.", enc)
    pieces, cur = [], ""
    for t in tokens:
        if len(cur) + len(t) > cont:
            pieces.append(cur)
            cur = ""
        cur += t
    pieces.append(cur)
    return ";\r\n ".join(f"filename*{n}*={chr(117) + 'tf-8' + chr(39) * 2 if n == 0 else ''}{p}"
                           for n, p in enumerate(pieces))


def part(headers: list[tuple[str, str]], body: bytes) -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in headers) + b"\r\n" + body


def multipart(ctype: str, boundary: str, parts: list[bytes], preamble: str = "") -> tuple[str, bytes]:
    """(the Content-Type value, the body) of a multipart."""
    chunks = [preamble.encode() + b"\r\n"] if preamble else []
    for p in parts:
        chunks.append(f"\r\n--{boundary}\r\n".encode() + p)
    chunks.append(f"\r\n--{boundary}--\r\n".encode())
    return f'{ctype};\r\n\tboundary="{boundary}"', b"".join(chunks)


def message(headers: list[tuple[str, str]], ctype: str, body: bytes,
            extra: list[tuple[str, str]] = ()) -> bytes:
    return part([*headers, ("MIME-Version", "1.0"), ("Content-Type", ctype), *extra], body)


def date(when: datetime) -> str:
    return email.utils.format_datetime(when)


def zip_gbk(files: dict[str, bytes]) -> bytes:
    """A zip as WinRAR/Bandizip on a Chinese Windows writes it: entry names in GBK, no UTF-8 flag.
    zipfile writes non-ASCII names as UTF-8, so each name is written as an ASCII placeholder of the same
    byte length and patched afterwards (the CRC covers the data, not the name)."""
    buf = io.BytesIO()
    placeholders = {}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, (name, data) in enumerate(files.items()):
            gbk = name.encode("gbk")
            ph = (f"P{n:03d}" + "_" * len(gbk))[:len(gbk)].encode()
            assert len(ph) == len(gbk)
            placeholders[ph] = gbk
            info = zipfile.ZipInfo(ph.decode(), date_time=(2025, 9, 20, 9, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # MS-DOS, as Windows archivers write it
            z.writestr(info, data)
    raw = buf.getvalue()
    for ph, gbk in placeholders.items():
        assert raw.count(ph) == 2
        raw = raw.replace(ph, gbk)
    return raw
