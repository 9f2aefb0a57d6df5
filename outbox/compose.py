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
from collections.abc import Sequence
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


def compose(*, dedupe: str, sender: str, sender_name: str, to: list[str], subject: str, text: str,
            html: str | None = None, in_reply_to: str | None = None, references: str | None = None,
            auto_submitted: str = "auto-replied", attachments: Sequence[tuple[str, bytes, str]] = (),
            inline_images: Sequence[tuple[str, bytes, str]] = (), date: datetime | None = None) -> Message:
    """``attachments``: (filename, data, mime type); ``inline_images``: (content-id, data, subtype)."""
    msg = _body(html, text, inline_images)
    if attachments:
        msg = _part(MIMEMultipart("mixed", _subparts=[msg, *(_attachment(*a) for a in attachments)]))
    msg["MIME-Version"] = "1.0"
    headers: list[tuple[str, str | Header]] = [("From", formataddr((one_line(sender_name), sender), charset="utf-8")),
               ("To", ", ".join(one_line(a, 320) for a in to)),
               ("Subject", _text("Subject", one_line(subject, 250))),
               ("Date", format_datetime(date or datetime.now(timezone.utc))),
               ("Message-ID", make_message_id(dedupe, sender))]
    if in_reply_to and re.fullmatch(r"<[^<>\s]+>", in_reply_to.strip()):
        refs = [r for r in re.findall(r"<[^<>\s]+>", references or "")][-10:]
        if in_reply_to.strip() not in refs:
            refs.append(in_reply_to.strip())
        headers += [("In-Reply-To", in_reply_to.strip()), ("References", " ".join(refs))]
    headers += [("Auto-Submitted", auto_submitted), ("X-Auto-Response-Suppress", "All")]
    for name, value in headers:
        # typeshed types a compat32 Message's headers as str only; email.header documents setting a Header
        msg[name] = value  # type: ignore[assignment]
    return msg
