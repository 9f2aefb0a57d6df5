"""Text helpers for mail parsing: charsets, encoded words, file names, HTML, forwards, links.

All functions are pure and never raise on bad input; they fall back to the best guess.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import email.utils
import html
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from parsers.parsed import ForwardedHeader

# Declared names mapped to the codec that actually decodes what such senders write.
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "936": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030", "csgb2312": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs", "cn-big5": "big5hkscs", "cp950": "big5hkscs",
    "unicodebig": "utf-16-be", "unicodebigunmarked": "utf-16-be", "unicode": "utf-16-le",
    "unicodelittle": "utf-16-le", "unicodelittleunmarked": "utf-16-le",
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949", "x-windows-949": "cp949",
    "x-mac-cyrillic": "mac-cyrillic", "x-mac-roman": "mac-roman", "macintosh": "mac-roman",
    "x-mac-ce": "mac-latin2", "windows-874": "cp874", "iso-8859-8-i": "iso-8859-8",
    "shift_jis": "cp932", "x-sjis": "cp932", "sjis": "cp932", "ms_kanji": "cp932",
    "us-ascii": "ascii", "ansi_x3.4-1968": "ascii", "utf8": "utf-8", "x-unknown": "",
    "unknown-8bit": "", "x-user-defined": "", "default": "", "437": "cp437", "850": "cp850",
}
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "iso8859-15", "ascii"}
_PUA_RE = re.compile(r"[\ue000-\uf8ff]")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset; None when unknown or not a text codec."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None  # base64, zlib, rot13: not charsets
    return info.name


def cjk_count(text: str) -> int:
    return len(_CJK_RE.findall(text))


def utf8_or_gb18030(data: bytes) -> str | None:
    """Text that Chinese Windows tools write: UTF-8 (with or without BOM), else GB18030; None if neither fits."""
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    return None


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError):
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, bool]:
    """Decode ``data`` as declared, else UTF-8, else GB18030.

    Returns (text, exact); exact is False when undecodable bytes had to be replaced.
    """
    codec = codec_for(charset)
    if codec in _SINGLE_BYTE and not data.isascii():
        # Mislabelled UTF-8 is far more common than Latin-1 text that happens to be valid UTF-8.
        text = _try(data, "utf-8")
        if text is not None:
            return text.replace("\x00", ""), True
        if codec == "ascii":
            codec = None
    if codec and (text := _try(data, codec)) is not None:
        if _PUA_RE.search(text) and (utf := _try(data, "utf-8")) is not None:
            text = utf  # UTF-8 labelled GBK decodes "validly" into private-use junk
        return text.replace("\x00", ""), True
    if codec and data.isascii():  # 7-bit codecs (ISO-2022-*): UTF-8 would keep the escapes as junk
        return data.decode(codec, "replace"), False
    for attempt in ("utf-8", "gb18030"):
        text = _try(data, attempt)
        if text is not None:
            if codec and attempt == "utf-8":
                # Declared CJK bytes that went through Latin-1 -> UTF-8 on the way ("³nÅé«Ò" mojibake)
                if all(ord(c) < 256 for c in text):
                    text = _try(text.encode("latin-1"), codec) or text
            return text.replace("\x00", ""), True
    return data.decode(codec or "utf-8", "replace").replace("\x00", ""), False


def unescape_8bit(text: str) -> str:
    """Turn raw 8-bit header bytes (kept by the parser as surrogates) back into text."""
    if not re.search(r"[\udc80-\udcff]", text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"))[0]


_WORD_RE = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")


def _word_bytes(kind: str, payload: str) -> bytes:
    if kind in "bB":
        clean = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        if len(clean) % 4 == 1:
            clean = clean[:-1]
        try:
            return base64.b64decode(clean + "=" * (-len(clean) % 4))
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "replace")
    raw = payload.replace("_", " ").encode("latin-1", "replace")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded-words anywhere in ``text`` (quoted or not, split mid-character or not).

    Adjacent words of the same charset are joined as bytes before decoding, so a character split
    across two words comes out whole; whitespace between encoded words is dropped (RFC 2047 6.2).
    """
    text = unescape_8bit(text)
    if "=?" not in text:
        return text
    segments: list[list] = []  # [charset_codec_or_raw_name, bytes] or [None, str]
    pos = 0
    for m in _WORD_RE.finditer(text):
        gap = text[pos:m.start()]
        if gap and not (gap.isspace() and segments and segments[-1][0] is not None):
            segments.append([None, gap])
        name = m.group(1)
        key = codec_for(name) or name.lower()
        data = _word_bytes(m.group(2), m.group(3))
        if segments and segments[-1][0] == key:
            segments[-1][1] += data
        else:
            segments.append([key, data])
        pos = m.end()
    if pos < len(text):
        segments.append([None, text[pos:]])
    return "".join(s if key is None else decode_bytes(s, key)[0] for key, s in segments)


def decode_header_value(value, cap: int = 2000) -> str:
    """A header value (str, possibly folded, 8-bit or encoded) as readable text, at most ``cap`` chars."""
    text = str(value)[: cap * 6]
    text = re.sub(r"\r?\n(?=[ \t])", "", text).replace("\r", "").replace("\n", " ")
    text = decode_words(text).replace("\x00", "")
    text = re.sub(r"[\x01-\x08\x0b-\x1f\x7f]", "", text).strip()
    return text[:cap]


def decode_param(value) -> str:
    """A MIME parameter value from ``Message.get_param`` (plain, RFC 2231 tuple or RFC 2047 inside)."""
    if value is None:
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text as latin-1)
        charset, _lang, text = value
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogateescape")
        value = decode_bytes(data, charset or None)[0]
    return decode_header_value(email.utils.unquote(str(value)).strip(), cap=1000)


def sanitize_filename(name: str, cap: int = 200) -> str:
    """A file name safe to show and store: no directories, no control characters, at most ``cap`` chars."""
    name = name.replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".").strip()
    if len(name) > cap:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: cap - len(ext) - 1] + "." + ext
        else:
            name = name[:cap]
    return name


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "head", "title", "noscript", "template"}
    _BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "blockquote", "pre", "hr", "ul", "ol", "section", "article", "header", "footer"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._BLOCK:
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append("\t")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: tags, scripts and styles dropped, entities unescaped."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser is lenient; this is belt and braces for odd input
        return re.sub(r"<[^>]*>", " ", markup)
    text = "".join(parser.out).replace("\xa0", " ").replace("\u3000", " ")
    text = re.sub(r"[ \t\r\f\v]*\n[ \t\r\f\v]*", "\n", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def parse_date(value: str | None) -> datetime | None:
    """An RFC 5322 date as an aware datetime (unknown zone -0000 taken as UTC); None if unparseable."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_CN_DATE_RE = re.compile(r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?"
                         r"(?:[^\d]{0,12}?(上午|下午|晚上|中午|凌晨)?\s*(\d{1,2})\s*[:：]\s*(\d{2}))?")
_SHANGHAI = timezone(timedelta(hours=8))


def parse_loose_date(value: str) -> datetime | None:
    """Dates as quoted in forwarded bodies: "2025年9月15日(星期一) 下午3:00", "2025-09-15 15:00",
    "Friday, September 19, 2025 3:05 PM", RFC 5322. Without a zone the time is Beijing time."""
    value = value.strip()[:200]
    m = _CN_DATE_RE.search(value)
    if m:
        hour, minute = int(m.group(5) or 0), int(m.group(6) or 0)
        if m.group(4) in ("下午", "晚上") and hour < 12:
            hour += 12
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), hour, minute, tzinfo=_SHANGHAI)
        except ValueError:
            return None
    meridiem = re.search(r"\b([AaPp])\.?[Mm]\b\.?", value)
    core = re.sub(r"\b[AaPp]\.?[Mm]\b\.?", "", value)
    try:
        parts = email.utils.parsedate_tz(core)
        if not parts:
            return None
        when = datetime(*parts[:6])
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if meridiem and meridiem.group(1) in "Pp" and when.hour < 12:
        when += timedelta(hours=12)
    elif meridiem and when.hour == 12:
        when -= timedelta(hours=12)
    if re.search(r"[+-]\d{4}\b|\b(?:GMT|UTC|UT)\b", core) and parts[9] is not None:
        return when.replace(tzinfo=timezone(timedelta(seconds=parts[9])))
    return when.replace(tzinfo=_SHANGHAI)


_ADDR_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_FROM_KEY = re.compile(r"^(?:发件人|寄件者|寄件人|from)\s*[:：]\s*(.*)$", re.I)
_SUBJECT_KEY = re.compile(r"^(?:主\s*题|主旨|subject)\s*[:：]\s*(.*)$", re.I)
_DATE_KEY = re.compile(r"^(?:发送时间|发送日期|日\s*期|时\s*间|sent|date)\s*[:：]\s*(.*)$", re.I)


def split_name_addr(text: str) -> tuple[str, str]:
    """("name", "addr") from a quoted sender line such as '"张三"<zs@163.com>;' or 'Zhang [mailto:zs@x.cn]'."""
    m = _ADDR_RE.search(text)
    addr = m.group(0).lower().strip(".") if m else ""
    name = text[: m.start()] if m else text
    name = re.sub(r"[<\[(（]\s*(mailto:)?\s*$", "", name.strip(), flags=re.I)
    name = name.strip().strip("\"'“”;；,，<>[] \t")
    if not name and m and text[m.end():].strip(" >]);；"):
        name = text[m.end():].strip(" >]);；\"'")
    return name[:200], addr


def find_inline_forwards(text: str, limit: int = 20) -> list[ForwardedHeader]:
    """Quoted headers of forwarded/replied mail in a body (NetEase, QQ, Outlook, Gmail styles).

    A block is a From/发件人 line with a Subject/主题 or Date/发送时间 line among the next six lines.
    """
    found: list[ForwardedHeader] = []
    lines = [re.sub(r"^[>\s*]+", "", ln).replace("\xa0", " ").replace("**", "").strip()
             for ln in text.splitlines()]
    for i, line in enumerate(lines):
        m = _FROM_KEY.match(line)
        if not m or len(found) >= limit:
            continue
        subject, when = None, None
        for nxt in lines[i + 1: i + 7]:
            if _FROM_KEY.match(nxt):
                break
            if subject is None and (s := _SUBJECT_KEY.match(nxt)):
                subject = s.group(1).strip()
            elif when is None and (d := _DATE_KEY.match(nxt)):
                when = d.group(1).strip()
        if subject is None and when is None:
            continue
        name, addr = split_name_addr(m.group(1))
        found.append(ForwardedHeader(from_addr=addr, from_name=name, subject=(subject or "")[:500],
                                     date=parse_loose_date(when) if when else None))
    return found


_URL_RE = re.compile(r"https?://[^\s\"'<>()\[\]{}，。；、“”（）]+", re.I)
_OVERSIZE_URL = re.compile(r"large-attachment|ftnExs|ftn_handler|/ftn/|bigattach|cloud-attachment", re.I)
_OVERSIZE_WORD = re.compile(r"超大附件|文件中转站|大附件|云附件")


def find_oversize_links(sources: list[str], window: int = 600, limit: int = 50) -> list[str]:
    """Download links of attachments too big to send (超大附件, 文件中转站) in plain or HTML bodies.

    A link counts when it has a known large-file URL shape, or starts within ``window`` characters
    after one of those words (clients put the links right below the heading).
    """
    links: list[str] = []
    for src in sources:
        words = [m.start() for m in _OVERSIZE_WORD.finditer(src)]
        for m in _URL_RE.finditer(src):
            url = html.unescape(m.group(0)).rstrip(".,;:!?")
            near = any(0 <= m.start() - w <= window for w in words)
            if (near or _OVERSIZE_URL.search(url)) and url not in links:
                links.append(url)
                if len(links) >= limit:
                    return links
    return links
