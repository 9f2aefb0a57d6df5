"""Build outgoing messages: threading headers, RFC 3834 marks, attachments, inline images."""
from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr
from datetime import datetime, timezone

OUR_ID_MARK = "summary-mailbox"  # appears in every Message-ID we create, so replies to us are recognised


def to_wire(message: EmailMessage) -> bytes:
    """Bytes with CRLF line ends: smtplib sends bytes unchanged, and servers refuse bare LF."""
    return message.as_bytes(policy=SMTP_POLICY)


def one_line(text: str, limit: int = 200) -> str:
    """Header-safe text: no CR/LF (header injection), no control characters, bounded length."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text or "").strip()
    return text[:limit]


def make_message_id(dedupe: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "localhost"
    digest = hashlib.sha256(dedupe.encode("utf-8")).hexdigest()[:24]
    return f"<{digest}.{OUR_ID_MARK}@{domain}>"


def compose(*, dedupe: str, sender: str, sender_name: str, to: list[str], subject: str, text: str,
            html: str | None = None, in_reply_to: str | None = None, references: str | None = None,
            auto_submitted: str = "auto-replied", attachments: list[tuple[str, bytes, str]] = (),
            inline_images: list[tuple[str, bytes, str]] = (), date: datetime | None = None) -> EmailMessage:
    """``attachments``: (filename, data, mime type); ``inline_images``: (content-id, data, subtype)."""
    msg = EmailMessage()
    msg["From"] = formataddr((one_line(sender_name), sender))
    msg["To"] = ", ".join(to)
    msg["Subject"] = one_line(subject, 250)
    msg["Date"] = format_datetime(date or datetime.now(timezone.utc))
    msg["Message-ID"] = make_message_id(dedupe, sender)
    if in_reply_to and re.fullmatch(r"<[^<>\s]+>", in_reply_to.strip()):
        msg["In-Reply-To"] = in_reply_to.strip()
        refs = [r for r in re.findall(r"<[^<>\s]+>", references or "")][-10:]
        if in_reply_to.strip() not in refs:
            refs.append(in_reply_to.strip())
        msg["References"] = " ".join(refs)
    msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text, charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")
        if inline_images:
            html_part = msg.get_payload()[-1]
            for cid, data, subtype in inline_images:
                html_part.add_related(data, maintype="image", subtype=subtype, cid=f"<{cid}>")
    for filename, data, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return msg
