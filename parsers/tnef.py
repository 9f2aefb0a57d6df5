"""Outlook's winmail.dat (TNEF, application/ms-tnef): the files it carries, by name.

Read with tnefparse (pure Python, no dependencies). Names come from the long-filename MAPI property
(UTF-16 in Unicode TNEF) or the 8-bit title in the message's OEM code page; a name the library could not
decode (GBK bytes under a Western code page) is decoded again as GB18030.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from parsers import ParserError

TNEF_MAGIC = b"\x78\x9f\x3e\x22"
MAX_MEMBERS = 200
logging.getLogger("tnefparse").setLevel(logging.CRITICAL)  # it logs every odd property as an error


class TnefError(ParserError):
    """The winmail.dat could not be read (its reason in Chinese)."""


@dataclass
class Carried:
    name: str
    data: bytes


def _text(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        raw = value.split(b"\x00", 1)[0]
        for codec in ("utf-8", "gb18030"):
            try:
                return raw.decode(codec).strip()
            except UnicodeDecodeError:
                continue
        return raw.decode("latin-1").strip()
    return str(value or "").strip("\x00").strip()


def _regbk(name: str, codepage: str | None) -> str:
    """A GBK name the library decoded in a Western code page (cp1252, cp437) comes back as GB18030."""
    if not name or all(ord(c) < 128 for c in name) or (codepage or "").lower() in ("cp936", "gbk", "gb18030"):
        return name
    try:
        again = name.encode(codepage or "cp1252").decode("gb18030")
    except (UnicodeError, LookupError):
        return name
    # only when every non-ASCII character comes out a Chinese one: "UmlautAnhang-äüö" stays as it is
    return again if all(ord(c) < 128 or "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or
                        "\uff00" <= c <= "\uffef" for c in again) else name


def _name(attachment, codepage: str | None, index: int) -> str:
    from tnefparse import properties

    for wanted in (properties.MAPI_ATTACH_LONG_FILENAME, properties.MAPI_ATTACH_FILENAME):
        for attr in getattr(attachment, "mapi_attrs", []):
            if attr.name == wanted and _text(attr.data):
                is_unicode = getattr(attr, "attr_type", None) == 0x001F
                return _text(attr.data) if is_unicode else _regbk(_text(attr.data), codepage)
    raw = getattr(attachment, "_name", b"")
    return _text(raw) if isinstance(raw, bytes) else _regbk(_text(raw), codepage) or f"附件{index}"


def unpack_tnef(data: bytes) -> list[Carried]:
    """The files a winmail.dat carries (an embedded message's files too); raises TnefError."""
    try:
        from tnefparse import TNEF
        tnef = TNEF(data, do_checksum=False)
    except Exception as exc:  # a damaged file: one reason, never a crash
        raise TnefError(f"Outlook的winmail.dat文件无法解析（{type(exc).__name__}），请改用普通附件发送") from exc
    out: list[Carried] = []
    for index, attachment in enumerate(tnef.attachments, 1):
        payload = attachment.data if isinstance(attachment.data, bytes) else b""
        if getattr(attachment, "embed", None) is not None:
            out += [Carried(c.name, c.data) for c in _embedded(attachment.embed)]
        elif payload:
            out.append(Carried(_name(attachment, tnef.codepage, index) or f"附件{index}", payload))
        if len(out) >= MAX_MEMBERS:
            break
    return out[:MAX_MEMBERS]


def _embedded(tnef) -> list[Carried]:
    return [Carried(_name(a, tnef.codepage, i) or f"附件{i}", a.data)
            for i, a in enumerate(tnef.attachments, 1) if isinstance(a.data, bytes) and a.data]
