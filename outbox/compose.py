"""Build outgoing messages: threading headers, RFC 3834 marks, attachments, inline images.

Messages are built with the ``email.mime`` classes and the ``compat32`` policy, whose header
encoding is plain string work. The modern ``EmailMessage`` API parses every header into a token
tree when it is set and refolds that tree when it is written: ~10 ms an acknowledgment, more than
rendering and sending it together. The wire form is the same: RFC 2047 encoded words in headers,
base64 UTF-8 bodies, RFC 2231 attachment names.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import encoders
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from io import BytesIO
from typing import Sequence

OUR_ID_MARK = "summary-mailbox"  # appears in every Message-ID we create, so replies to us are recognised
WIRE_POLICY = compat32.clone(linesep="\r\n")


def to_wire(message: Message) -> bytes:
    """Bytes with CRLF line ends: smtplib sends bytes unchanged, and servers refuse bare LF."""
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=WIRE_POLICY).flatten(message)
    return out.getvalue()


def one_line(text: str, limit: int = 200) -> str:
    """Header-safe text: no CR/LF (header injection), no control characters, bounded length."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text or "").strip()
    return text[:limit]


def make_message_id(dedupe: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "localhost"
    digest = hashlib.sha256(dedupe.encode("utf-8")).hexdigest()[:24]
    return f"<{digest}.{OUR_ID_MARK}@{domain}>"


def _text(name: str, value: str) -> str | Header:
    """A header value: as is when ASCII, else RFC 2047 encoded words (folded by the generator)."""
    return value if value.isascii() else Header(value, "utf-8", header_name=name)


def _part(part: Message) -> Message:
    del part["MIME-Version"]  # the email.mime classes give every part one; it belongs on the top only
    return part


def _body(html: str | None, text: str, inline_images) -> Message:
    plain = _part(MIMEText(text, "plain", "utf-8"))
    if not html:
        return plain
    rich: Message = _part(MIMEText(html, "html", "utf-8"))
    if inline_images:
        rich = _part(MIMEMultipart("related", _subparts=[rich]))
        for cid, data, subtype in inline_images:
            image = _part(MIMEImage(data, _subtype=subtype))
            image["Content-ID"] = f"<{cid}>"
            image["Content-Disposition"] = "inline"
            rich.attach(image)
    return _part(MIMEMultipart("alternative", _subparts=[plain, rich]))


def _attachment(filename: str, data: bytes, mime: str) -> Message:
    maintype, _, subtype = mime.partition("/")
    part = _part(MIMEBase(maintype or "application", subtype or "octet-stream"))
    part.set_payload(data)
    encoders.encode_base64(part)
    name = one_line(filename, 200)
    part.add_header("Content-Disposition", "attachment", filename=name if name.isascii() else ("utf-8", "", name))
    return part


@dataclass(frozen=True)
class Draft:
    """A message to compose: who writes, to whom, what, and where it sits in a thread.
    ``attachments``: (filename, data, mime type); ``inline_images``: (content-id, data, subtype)."""

    dedupe: str  # the outbox's key for this mail; also makes its Message-ID
    sender: str
    sender_name: str
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    auto_submitted: str = "auto-replied"  # RFC 3834: auto-replied for answers, auto-generated for the rest
    attachments: Sequence[tuple[str, bytes, str]] = ()
    inline_images: Sequence[tuple[str, bytes, str]] = ()
    date: datetime | None = None


def compose(draft: Draft) -> Message:
    msg = _body(draft.html, draft.text, draft.inline_images)
    if draft.attachments:
        msg = _part(MIMEMultipart("mixed", _subparts=[msg, *(_attachment(*a) for a in draft.attachments)]))
    msg["MIME-Version"] = "1.0"
    for name, value in _headers(draft):
        # typeshed types a compat32 Message's headers as str only; email.header documents setting a Header
        msg[name] = value  # type: ignore[assignment]
    return msg


def _headers(draft: Draft) -> list[tuple[str, str | Header]]:
    headers: list[tuple[str, str | Header]] = [
        ("From", formataddr((one_line(draft.sender_name), draft.sender), charset="utf-8")),
        ("To", ", ".join(one_line(a, 320) for a in draft.to)),
        ("Subject", _text("Subject", one_line(draft.subject, 250))),
        ("Date", format_datetime(draft.date or datetime.now(timezone.utc))),
        ("Message-ID", make_message_id(draft.dedupe, draft.sender))]
    in_reply_to = (draft.in_reply_to or "").strip()
    if re.fullmatch(r"<[^<>\s]+>", in_reply_to):
        refs = re.findall(r"<[^<>\s]+>", draft.references or "")[-10:]
        if in_reply_to not in refs:
            refs.append(in_reply_to)
        headers += [("In-Reply-To", in_reply_to), ("References", " ".join(refs))]
    return headers + [("Auto-Submitted", draft.auto_submitted), ("X-Auto-Response-Suppress", "All")]
