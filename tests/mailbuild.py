"""Build raw test mails in code, byte for byte as real clients send them (quirks included).

A "part" is bytes: its own header lines, a blank line, its body. ``mail()`` puts the message
headers in front of a part, so any part (text, file, multipart) can be a whole mail's body.
Header values given as ``str`` must be ASCII (use ``b_word``/``q_word`` for encoded words);
``bytes`` values go out raw, which is how to write undeclared 8-bit headers.
"""
from __future__ import annotations

import base64
import binascii
import itertools
import quopri

CRLF = b"\r\n"
_BOUNDARIES = itertools.count(1)


def b_word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(_codec(charset))).decode()}?="


def q_word(text: str, charset: str = "utf-8") -> str:
    data = text.encode(_codec(charset))
    body = "".join(chr(b) if chr(b).isascii() and chr(b).isalnum() else ("_" if b == 32 else f"={b:02X}") for b in data)
    return f"=?{charset}?Q?{body}?="


def split_b_words(text: str, charset: str, cuts: list[int]) -> list[str]:
    """B encoded-words of ``text`` cut at the given byte offsets (mid-character if they fall so)."""
    data = text.encode(_codec(charset))
    bounds = [0, *cuts, len(data)]
    return [f"=?{charset}?B?{base64.b64encode(data[a:b]).decode()}?=" for a, b in zip(bounds, bounds[1:])]


def _codec(charset: str) -> str:
    return {"gb2312": "gb18030", "gbk": "gb18030"}.get(charset.lower(), charset)


def _header(name: str, value: str | bytes) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode("ascii")
    return name.encode("ascii") + b": " + raw + CRLF


def part(headers: list[tuple[str, str | bytes]], body: bytes) -> bytes:
    return b"".join(_header(n, v) for n, v in headers) + CRLF + body


def encode_body(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data).replace(b"\n", CRLF)
    if cte == "quoted-printable":
        return quopri.encodestring(data).replace(b"\n", CRLF)
    if cte == "x-uuencode":
        lines = [b"begin 644 file"]
        lines += [binascii.b2a_uu(data[i:i + 45]).rstrip(b"\n") for i in range(0, len(data), 45)]
        return CRLF.join([*lines, b"`", b"end", b""])
    return data  # 7bit / 8bit / binary


def text_part(text: str, subtype: str = "plain", charset: str | None = "utf-8", cte: str = "base64",
              codec: str | None = None, extra: list[tuple[str, str | bytes]] = ()) -> bytes:
    """A text body; ``codec`` overrides the encoder (e.g. write GBK bytes while declaring gb2312)."""
    data = text.encode(codec or _codec(charset or "utf-8"))
    ctype = f"text/{subtype}" + (f'; charset="{charset}"' if charset else "")
    return part([("Content-Type", ctype), ("Content-Transfer-Encoding", cte), *extra], encode_body(data, cte))


def file_part(data: bytes, content_type: str, disposition: str | bytes | None = None,
              cte: str = "base64", extra: list[tuple[str, str | bytes]] = ()) -> bytes:
    """A file part; ``disposition`` is the raw Content-Disposition value (None: no such header)."""
    headers: list[tuple[str, str | bytes]] = [("Content-Type", content_type), ("Content-Transfer-Encoding", cte)]
    if disposition is not None:
        headers.append(("Content-Disposition", disposition))
    return part(headers + list(extra), encode_body(data, cte))


def multipart(subtype: str, parts: list[bytes], boundary: str | None = None, params: str = "") -> bytes:
    boundary = boundary or f"=_part_{next(_BOUNDARIES)}_="
    body = b"".join(b"--" + boundary.encode() + CRLF + p + CRLF for p in parts)
    body += b"--" + boundary.encode() + b"--" + CRLF
    return part([("Content-Type", f'multipart/{subtype}; boundary="{boundary}"{params}')], body)


def rfc822_part(inner_mail: bytes, disposition: str | None = None) -> bytes:
    headers: list[tuple[str, str | bytes]] = [("Content-Type", "message/rfc822")]
    if disposition:
        headers.append(("Content-Disposition", disposition))
    return part(headers, inner_mail)


def mail(body: bytes, *, subject: str | bytes = "test", from_: str | bytes = "Unit <unit@example.cn>",
         to: str | bytes = "summary@126.com", date: str | bytes | None = "Mon, 15 Sep 2025 10:00:00 +0800",
         message_id: str | bytes | None = "<t1@example.cn>",
         extra: list[tuple[str, str | bytes]] = ()) -> bytes:
    """A whole mail: message headers in front of a part (``text_part``, ``multipart``...)."""
    headers = [("From", from_), ("To", to), ("Subject", subject), ("Date", date), ("Message-ID", message_id),
               *extra, ("MIME-Version", "1.0")]
    return b"".join(_header(n, v) for n, v in headers if v is not None) + body
