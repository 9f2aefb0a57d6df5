"""Raw mail bytes -> Envelope.

The bytes are parsed once with the standard library (compat32, the fast policy); mail-parser reads
that same Message object for the body text, and our own walk (stdlib) supplies attachments,
forwarded messages and a second body decoding. mail-parser's body is kept unless it failed or lost
text the stdlib decoding recovered (measured: GB2312 mails where its Chinese text goes missing).
``parse_message`` never raises: whatever went wrong is written to ``Envelope.defects``.
"""
from __future__ import annotations

import base64
import binascii
import email
import logging
import mimetypes
import quopri
import re
from collections import Counter
from email.message import Message

import mailparser
from mailparser.utils import get_addresses

from parsers.detect import OLE_MAGIC, detect_kind
from parsers.mailtext import (
    cjk_count,
    codec_for,
    decode_bytes,
    decode_header_value,
    decode_param,
    find_inline_forwards,
    find_oversize_links,
    html_to_text,
    parse_date,
    sanitize_filename,
    split_name_addr,
    unescape_8bit,
)
from parsers.parsed import LIMIT_FLAG, Attachment, Envelope, ForwardedHeader

logging.getLogger("mailparser").addHandler(logging.NullHandler())  # no stderr noise per odd mail

_MAX_PARTS = 500
_MAX_NESTING = 40  # multipart inside multipart
_TEXT_CAP = 500_000
_HTML_CAP = 2_000_000
_HEADER_VALUE_CAP = 2000
_TNEF = b"\x78\x9f\x3e\x22"
_MAIL_HEADERS = {"from", "to", "subject", "date", "message-id", "received", "return-path", "sender",
                 "mime-version", "content-type", "cc", "reply-to", "delivered-to"}
_ESSENTIAL = (b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-")
_NOT_MAIL = "不是标准邮件格式"

_EXT = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/msword": ".doc", "application/vnd.ms-excel": ".xls", "application/pdf": ".pdf",
    "application/zip": ".zip", "application/x-zip-compressed": ".zip", "application/vnd.rar": ".rar",
    "application/x-rar-compressed": ".rar", "application/x-7z-compressed": ".7z",
    "application/kswps": ".wps", "application/wps-office.wps": ".wps", "application/kset": ".et",
    "application/octet-stream": ".bin", "image/jpeg": ".jpg", "message/rfc822": ".eml",
    "application/ms-tnef": ".dat", "text/plain": ".txt",
}

_STRUCTURE = "邮件分段结构损坏，部分内容可能缺失"
_HEADER = "邮件头格式不规范"
_ENCODING = "正文或附件的编码有误，内容可能不完整"
_DEFECT_TEXT = {
    "StartBoundaryNotFoundDefect": _STRUCTURE, "MultipartInvariantViolationDefect": _STRUCTURE,
    "NoBoundaryInMultipartDefect": _STRUCTURE, "BoundaryError": _STRUCTURE,
    "CloseBoundaryNotFoundDefect": "邮件结尾不完整（缺少结束分隔线），可能被截断",
    "MissingHeaderBodySeparatorDefect": _HEADER, "FirstHeaderLineIsContinuationDefect": _HEADER,
    "MisplacedEnvelopeHeaderDefect": _HEADER, "MalformedHeaderDefect": _HEADER,
    "InvalidBase64PaddingDefect": _ENCODING, "InvalidBase64CharactersDefect": _ENCODING,
    "InvalidBase64LengthDefect": _ENCODING,
    "InvalidMultipartContentTransferEncodingDefect": "邮件分段声明了无效的传输编码",
}


def parse_message(raw: bytes, *, max_depth: int = 5, max_header_bytes: int = 64_000) -> Envelope:
    """Reduce a raw RFC 822 mail to an Envelope; never raises (problems go to ``defects``)."""
    try:
        return _parse(raw, max_depth, max_header_bytes)
    except Exception as exc:  # last resort: the contract is "never crash on bad input"
        return _empty(f"邮件无法解析: {type(exc).__name__}: {str(exc)[:200]}")


def _empty(defect: str) -> Envelope:
    return Envelope(message_id=None, subject="", from_addr="", from_name="", defects=[defect])


def _parse(raw, max_depth: int, max_header_bytes: int) -> Envelope:
    raw = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    if raw.startswith(OLE_MAGIC):
        return _empty(f"{_NOT_MAIL}：这是 Outlook 的 .msg 文件，不是邮件原文")
    if raw.startswith(_TNEF):
        return _empty(f"{_NOT_MAIL}：这是 Outlook 的 winmail.dat 数据，不是邮件原文")
    raw = raw.lstrip(b" \t\r\n")
    if not raw:
        return _empty(f"{_NOT_MAIL}：内容为空")
    raw, defects = _cap_headers(raw, max_header_bytes)
    slim, large = _set_aside_large_bodies(raw)
    msg = email.message_from_bytes(slim)
    del slim
    if not {k.lower() for k in msg.keys()} & _MAIL_HEADERS:
        return _empty(_NOT_MAIL)

    headers, first_raw = _read_headers(msg)
    env = Envelope(message_id=None, subject="", from_addr="", from_name="", headers=headers,
                   defects=defects)
    _fill_envelope(env, headers, first_raw)
    env.content_type = _content_type(msg)

    walk = _Walk(env, max_depth, _LargeBodies(raw, large))
    own_text = walk.message(msg, 0, "")
    for label, text in walk.forward_texts:
        own_text += f"\n\n---------- {label.rstrip('/')} ----------\n{text}"
    env.text = _choose_text(msg, own_text)
    if len(env.text) > _TEXT_CAP:
        env.text = env.text[:_TEXT_CAP]
        walk.defect(f"{LIMIT_FLAG}正文过长，只保留了前 50 万字")
    seen = {(f.from_addr, f.subject) for f in env.forwarded}
    for fwd in find_inline_forwards(env.text):
        if (fwd.from_addr, fwd.subject) not in seen:
            seen.add((fwd.from_addr, fwd.subject))
            env.forwarded.append(fwd)
    env.oversize_links = find_oversize_links(walk.sources)
    return env


_LARGE_BODY = 4_000_000
_B64_HEADER = re.compile(rb"(?im)^content-transfer-encoding:[ \t]*base64[ \t]*\r?$")
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n"
_PLACEHOLDER = "SUMMARYMAILBOXLARGEBODY"


def _set_aside_large_bodies(raw: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """Cut base64 bodies of several MB out of the bytes the stdlib parser sees.

    The stdlib parser keeps a message several times over (as text, as lines, as the joined
    payload): a 68 MB mail cost ~570 MB. A large body is replaced by a short placeholder and
    decoded later straight from ``raw``, so memory stays near the raw size plus the decoded file.
    """
    if len(raw) < _LARGE_BODY:
        return raw, []
    pieces: list[bytes] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _B64_HEADER.finditer(raw):
        blank = re.compile(rb"\r?\n\r?\n").search(raw, match.end())
        if blank is None or blank.end() < pos:
            continue
        start = blank.end()
        end = raw.find(b"\n--", start)
        end = len(raw) if end < 0 else end + 1
        edges = raw[start:start + 4096] + raw[max(start, end - 4096):end]
        if end - start < _LARGE_BODY or edges.translate(None, _B64_ALPHABET):
            continue  # small, or not plain base64 lines: leave it to the parser
        pieces += [raw[pos:start], f"{_PLACEHOLDER}{len(spans)}\r\n".encode()]
        spans.append((start, end))
        pos = end
    if not spans:
        return raw, []
    pieces.append(raw[pos:])
    return b"".join(pieces), spans


class _LargeBodies:
    """The bodies set aside by ``_set_aside_large_bodies``, decoded on demand."""

    def __init__(self, raw: bytes, spans: list[tuple[int, int]]):
        self.raw, self.spans = raw, spans

    def decode(self, part: Message) -> bytes | None:
        if not self.spans:
            return None
        body = part.get_payload()
        if not isinstance(body, str) or not body.startswith(_PLACEHOLDER):
            return None
        start, end = self.spans[int(body[len(_PLACEHOLDER):].strip())]
        return binascii.a2b_base64(memoryview(self.raw)[start:end])  # skips the line breaks


def _cap_headers(raw: bytes, limit: int) -> tuple[bytes, list[str]]:
    """Shorten an over-long top header block before the stdlib sees it (measured: a 210 KB header cost ~370 MB)."""
    m = re.search(rb"\r?\n\r?\n", raw)
    end = m.start() if m else len(raw)
    if end <= limit:
        return raw, []
    fields: list[list[bytes]] = []
    for line in raw[:end].splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    per_field, total, kept = max(1000, limit // 8), 0, []
    for lines in fields:
        chunk = b""
        for line in lines:
            if len(chunk) + len(line) > per_field:
                break
            chunk += line
        chunk = chunk or lines[0][:per_field]
        if total + len(chunk) > limit and not lines[0].lower().startswith(_ESSENTIAL):
            continue
        kept.append(chunk if chunk.endswith(b"\n") else chunk + b"\r\n")
        total += len(kept[-1])
    head = b"".join(kept).rstrip(b"\r\n")
    return head + raw[end:], [f"邮件头过长（约 {end // 1024} KB），超出部分已截去"]


def _decoded_payload(p: Message) -> bytes:
    data = p.get_payload(decode=True)  # bytes for a leaf part; None for a multipart
    return data if isinstance(data, bytes) else b""


def _is_mail_file(ctype: str, filename: str) -> bool:
    """A part that may be a whole mail saved as a file: named .eml and not declared as text or a picture."""
    return filename.lower().endswith(".eml") and not ctype.startswith(("text/", "image/", "multipart/"))


def _content_type(p: Message) -> str:
    try:
        return (p.get_content_type().split() or ["text/plain"])[0][:100]
    except Exception:
        return "text/plain"


def _read_headers(msg: Message) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Decoded headers (lower-case name -> values) and the first raw value of each name."""
    headers: dict[str, list[str]] = {}
    first_raw: dict[str, str] = {}
    for count, (name, value) in enumerate(msg.raw_items()):
        if count >= 1000:
            break
        key = str(name).strip().lower()
        values = headers.setdefault(key, [])
        if (key == "received" and len(values) >= 3) or len(values) >= 50:
            continue
        first_raw.setdefault(key, str(value))
        values.append(decode_header_value(value, _HEADER_VALUE_CAP))
    return headers, first_raw


def _addresses(raw_value: str | None) -> list[tuple[str, str]]:
    """(display name, lower-case address) pairs of an address header; mail-parser first, then stdlib."""
    if not raw_value:
        return []
    text = unescape_8bit(re.sub(r"\r?\n(?=[ \t])", "", raw_value))[:20_000]
    pairs: list[tuple[str, str]] = []
    for reader in (lambda t: get_addresses(t, decode_names=True), lambda t: email.utils.getaddresses([t])):
        try:
            pairs = [(decode_header_value(n, 200), a.strip().lower()) for n, a in reader(text) if "@" in a]
        except Exception:
            pairs = []
        if pairs:
            return pairs[:200]
    name, addr = split_name_addr(decode_header_value(text, 500))
    return [(name, addr)] if addr else []


def _fill_envelope(env: Envelope, headers: dict[str, list[str]], first_raw: dict[str, str]) -> None:
    env.subject = (headers.get("subject") or [""])[0]
    mid = "".join(first_raw.get("message-id", "").split())[:998]
    env.message_id = mid or None
    sender = _addresses(first_raw.get("from"))
    if sender:
        env.from_name, env.from_addr = sender[0]
    elif "from" in first_raw:
        env.from_name = headers["from"][0][:200]
        env.defects.append("发件人地址无法识别")
    env.to = [a for _, a in _addresses(first_raw.get("to"))]
    env.cc = [a for _, a in _addresses(first_raw.get("cc"))]
    env.reply_to = next((a for _, a in _addresses(first_raw.get("reply-to"))), "")
    if "date" in headers:
        env.date = parse_date(headers["date"][0])
        if env.date is None:
            env.defects.append(f"邮件日期无法识别（{headers['date'][0][:60]}），将以收信时间为准")


def _choose_text(msg: Message, own_text: str) -> str:
    """mail-parser's plain-text body, unless it failed or lost text that our own decoding recovered.

    HTML-only mails keep our text: both come from the same markup, ours decoded per part with the
    charset fallbacks, and converting the markup twice would double the cost on big HTML.
    """
    try:
        parsed = mailparser.MailParser(msg)
        theirs = "\n\n".join(t for t in parsed.text_plain if t.strip())
    except Exception:  # measured: AttributeError on nested boundaries that prefix the outer one
        return own_text
    if not theirs.strip() or cjk_count(own_text) > cjk_count(theirs) or "\ufffd" in theirs:
        return own_text
    return theirs


class _Walk:
    """One pass over the MIME tree: attachments, forwarded messages and body text per message."""

    def __init__(self, env: Envelope, max_depth: int, large: "_LargeBodies"):
        self.env, self.max_depth, self.large = env, max_depth, large
        self.parts = 0
        self.forward_texts: list[tuple[str, str]] = []  # (path label, body text) of forwarded mails
        self.sources: list[str] = []  # raw plain/HTML bodies, for 超大附件 links
        self.forward_count: Counter[str] = Counter()

    def defect(self, text: str) -> None:
        if text not in self.env.defects:
            self.env.defects.append(text)

    def message(self, msg: Message, depth: int, prefix: str) -> str:
        """Walk one message (top level or forwarded) and return its body text."""
        plain: list[str] = []
        markup: list[str] = []
        self.part(msg, depth, prefix, plain, markup, 0)
        text = "\n\n".join(t.strip() for t in plain if t.strip())
        if not text and markup:
            text = html_to_text("\n".join(markup)[:_HTML_CAP])
        return text

    def part(self, p: Message, depth: int, prefix: str, plain: list, markup: list, level: int) -> None:
        self.parts += 1
        if self.parts > _MAX_PARTS or level > _MAX_NESTING:
            self.defect(f"{LIMIT_FLAG}邮件分段超过{_MAX_PARTS}个或嵌套超过{_MAX_NESTING}层，其余部分（可能包括附件）未读取；"
                        "请减少附件数量或分几封邮件发送")
            return
        for d in getattr(p, "defects", []):
            name = type(d).__name__
            self.defect(_DEFECT_TEXT.get(name, f"邮件格式有瑕疵（{name}）"))
        try:
            ctype = _content_type(p)
            if ctype in ("message/rfc822", "message/global", "message/news"):
                self.forward(p, depth, prefix)
            elif _is_mail_file(ctype, self.filename(p)) and self.forward_file(p, depth, prefix):
                return  # walked as a forwarded mail
            elif p.is_multipart():
                if not ctype.startswith("message/"):  # delivery-status, rfc822-headers: content_type says it
                    for sub in p.get_payload():
                        if isinstance(sub, Message):
                            self.part(sub, depth, prefix, plain, markup, level + 1)
            else:
                self.leaf(p, ctype, prefix, plain, markup)
        except Exception as exc:  # one bad part must not lose the rest of the mail
            self.defect(f"有一个邮件分段无法读取（{type(exc).__name__}）")

    def leaf(self, p: Message, ctype: str, prefix: str, plain: list, markup: list) -> None:
        disposition = p.get_content_disposition() or ""
        filename = self.filename(p)
        if ctype in ("text/plain", "text/html"):
            is_attachment = disposition == "attachment" and bool(filename)
        elif ctype.startswith("text/"):
            is_attachment = bool(filename) or disposition == "attachment"
        else:
            is_attachment = not ctype.startswith("multipart/")  # a multipart without parts is text
        if is_attachment:
            self.attach(p, ctype, filename, prefix)
            return
        data = _decoded_payload(p)
        charset = p.get_content_charset()
        if not charset and ctype == "text/html":
            meta = re.search(rb"<meta[^>]{0,200}charset\s*=\s*[\"']?([\w.:-]+)", data[:4096], re.I)
            charset = meta.group(1).decode("ascii") if meta else None
        if charset and codec_for(charset) is None:
            self.defect(f"正文声明的字符集“{charset[:40]}”无法识别，已按常见编码猜测")
        text = decode_bytes(data, charset)[0]
        (markup if ctype == "text/html" else plain).append(text)
        self.sources.append(text[:_HTML_CAP])

    def filename(self, p: Message) -> str:
        view = p
        raw = [(k, str(v)) for k, v in p.raw_items() if k.lower() in ("content-type", "content-disposition")]
        if any(re.search(r"[\udc80-\udcff]", v) for _, v in raw):
            view = Message()  # raw 8-bit name: the stdlib would turn those bytes into U+FFFD
            for key, value in raw:
                view[key] = unescape_8bit(value)
        for header, param in (("content-disposition", "filename"), ("content-type", "name")):
            try:
                name = decode_param(view.get_param(param, None, header))
            except Exception:
                name = ""
            if name:
                return name
        return ""

    def attach(self, p: Message, ctype: str, filename: str, prefix: str, data: bytes | None = None) -> None:
        name = sanitize_filename(filename)
        if not name:
            ext = _EXT.get(ctype) or mimetypes.guess_extension(ctype) or ""
            name = f"附件{len(self.env.attachments) + 1}{ext}"
        if data is None:
            data = self.payload(p, name)
        self.env.attachments.append(
            Attachment(name=name, content_type=ctype, data=data, path=prefix + name if prefix else ""))

    def payload(self, p: Message, name: str) -> bytes:
        cte = str(p.get("content-transfer-encoding", "")).strip().lower()
        data = self.large.decode(p)
        if data is not None:
            return data
        data = _decoded_payload(p)
        if "uu" in cte:
            text = p.get_payload()
            if data.lstrip()[:6] == b"begin " or not re.match(r"\s*begin\s+[0-7]{3,4}\s", str(text)):
                self.defect(f"附件“{name}”声明为 uuencode 编码但无法解码，已保留原文")
        return data

    def forward_file(self, p: Message, depth: int, prefix: str) -> bool:
        """An .eml attached as a file (126/163 and QQ web mail forward "作为附件" as application/octet-stream):
        walked like a message/rfc822 part when its content is a mail; False leaves it an attachment."""
        data = self.payload(p, self.filename(p))
        if detect_kind(self.filename(p), data[:8192]) != "eml":
            return False
        self.forward_inner(email.message_from_bytes(data), p, depth, prefix)
        return True

    def forward(self, p: Message, depth: int, prefix: str) -> None:
        """A message/rfc822 part: record who wrote it, then walk it with a "转发邮件N/" path."""
        inner = self.inner_message(p)
        if inner is None:
            return
        self.forward_inner(inner, p, depth, prefix)

    def forward_inner(self, inner: Message, p: Message, depth: int, prefix: str) -> None:
        self.forward_count[prefix] += 1
        label = f"{prefix}转发邮件{self.forward_count[prefix]}/"
        if depth >= self.max_depth:
            self.defect(f"转发邮件嵌套超过 {self.max_depth} 层，更深的转发邮件作为附件保留")
            try:
                data = inner.as_bytes()
            except Exception:
                data = b""
            self.attach(p, "message/rfc822", self.filename(p) or label.rstrip("/") + ".eml", prefix, data)
            return
        headers, first_raw = _read_headers(inner)
        sender = _addresses(first_raw.get("from"))
        name, addr = sender[0] if sender else ((headers.get("from") or [""])[0][:200], "")
        subject = (headers.get("subject") or [""])[0]
        if addr or name or subject:
            date = parse_date(headers["date"][0]) if "date" in headers else None
            self.env.forwarded.append(ForwardedHeader(addr, name, subject, date))
        text = self.message(inner, depth + 1, label)
        if text:
            self.forward_texts.append((label, text))

    def inner_message(self, p: Message) -> Message | None:
        payload = p.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
        cte = str(p.get("content-transfer-encoding", "")).strip().lower()
        if cte in ("base64", "quoted-printable") or not isinstance(inner, Message):
            # Some clients encode the attached .eml; the stdlib then sees headerless garbage.
            if isinstance(inner, Message) and inner.keys():
                return inner
            body = inner.get_payload() if isinstance(inner, Message) else payload
            if not isinstance(body, str):
                return inner
            data = body.encode("ascii", "ignore")
            if cte == "base64":
                clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
                clean = clean[: len(clean) - (len(clean) % 4 == 1)]
                try:
                    data = base64.b64decode(clean + b"=" * (-len(clean) % 4))
                except (binascii.Error, ValueError):
                    return inner
            elif cte == "quoted-printable":
                data = quopri.decodestring(data)
            return email.message_from_bytes(data)
        return inner
