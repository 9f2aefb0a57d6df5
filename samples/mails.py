"""Raw mails written the way real clients write them.

Mails are assembled by hand (not with ``email.generator``) so that each client's quirks
survive byte for byte: NetEase's GBK encoded-words inside quoted parameters (split
mid-character when the name is long), Outlook's gb2312 quoted-printable, QQ's gb18030,
Thunderbird's RFC 2231 names and 8-bit UTF-8 bodies. Boundaries come from the caller's
random generator, so a seed gives the same bytes.
"""
from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from html import escape
from urllib.parse import quote

CRLF = "\r\n"


@dataclass
class Style:
    name: str
    charset: str  # body and header charset label as written in the mail
    body_cte: str  # base64 | quoted-printable | 8bit
    names: str  # how attachment names are written: 2047 | 2047-split | 2047-unquoted | 2231
    headers: list[tuple[str, str]] = field(default_factory=list)
    html: bool = True
    quote_display: bool = True


def style_for(rng: random.Random, name: str) -> Style:
    hexs = lambda n: "".join(rng.choice("0123456789abcdef") for _ in range(n))  # noqa: E731
    if name == "netease":
        names = rng.choices(["2047", "2047-split", "2047-unquoted"], [0.65, 0.3, 0.05])[0]
        return Style(name, "GBK", "base64", names, [
            ("X-Priority", "3"), ("X-Mailer", "Coremail Webmail Server Version XT5.0.14 build 20230109(dcb5de15)"),
            ("X-Originating-IP", f"[111.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}]"),
            ("X-Coremail-Locale", "zh_CN"), ("X-CM-TRANSID", f"{hexs(8)}-{hexs(4)}--{hexs(12)}")])
    if name == "outlook":
        return Style(name, "gb2312", "quoted-printable", "2047", [
            ("X-Mailer", "Microsoft Outlook 16.0"), ("Thread-Index", "Ad" + hexs(26)),
            ("Content-Language", "zh-cn")], quote_display=False)
    if name == "qq":
        return Style(name, "gb18030", "base64", "2047", [
            ("X-QQ-MIME", "TCMime 1.0 by Tencent"), ("X-Mailer", "QQMail 2.x"), ("X-QQ-Mailer", "QQMail 2.x"),
            ("X-QQ-mid", f"xmsezb{hexs(20)}")])
    if name == "foxmail":
        return Style(name, "GB2312", "base64", "2047", [
            ("X-Priority", "3"), ("X-GUID", f"{hexs(8).upper()}-{hexs(4).upper()}-{hexs(4).upper()}"),
            ("X-Has-Attach", "yes"), ("X-Mailer", "Foxmail 7.2.25.375[cn]")])
    return Style("thunderbird", "UTF-8", "8bit", "2231", [
        ("User-Agent", "Mozilla Thunderbird"), ("Content-Language", "zh-CN")], html=False, quote_display=False)


def _codec(label: str) -> str:
    return {"gbk": "gbk", "gb2312": "gb2312", "gb18030": "gb18030"}.get(label.lower(), "utf-8")


def encodable(text: str, label: str) -> str:
    """The label if text encodes in it, else the wider charset a client falls back to."""
    try:
        text.encode(_codec(label))
        return label
    except UnicodeEncodeError:
        return "GBK" if label.lower() == "gb2312" and _gbk_ok(text) else "gb18030" if label.lower() != "utf-8" else label


def _gbk_ok(text: str) -> bool:
    try:
        text.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False


def encoded_words(text: str, label: str, *, max_bytes: int = 45, split_mid: bool = False) -> list[str]:
    """RFC 2047 B-words; split_mid cuts the bytes regardless of character boundaries (NetEase does)."""
    label = encodable(text, label)
    codec = _codec(label)
    chunks: list[bytes] = []
    if split_mid:
        data = text.encode(codec)
        chunks = [data[i:i + max_bytes] for i in range(0, len(data), max_bytes)]
    else:
        cur = b""
        for ch in text:
            b = ch.encode(codec)
            if len(cur) + len(b) > max_bytes:
                chunks.append(cur)
                cur = b""
            cur += b
        chunks.append(cur)
    return [f"=?{label}?B?{base64.b64encode(c).decode()}?=" for c in chunks]


def header_text(text: str, label: str) -> str:
    if text.isascii():
        return text
    return (CRLF + " ").join(encoded_words(text, label))


def address(name: str, addr: str, style: Style) -> str:
    if not name:
        return addr
    shown = header_text(name, style.charset)
    return f'"{shown}" <{addr}>' if style.quote_display and not name.isascii() else f"{shown} <{addr}>"


def _name_params(filename: str, style: Style, rng: random.Random) -> tuple[str, str]:
    """(Content-Type name parameter, Content-Disposition filename parameter)."""
    if filename.isascii():
        return f'name="{filename}"', f'filename="{filename}"'
    if style.names == "2231":
        data = quote(filename.encode("utf-8"), safe="")
        if len(data) > 60 and rng.random() < 0.6:  # Thunderbird continues long names; Apple Mail does not
            pieces = [data[i:i + 60] for i in range(0, len(data), 60)]
            # never cut a %XX escape in two
            fixed, carry = [], ""
            for p in pieces:
                p = carry + p
                cut = p.rfind("%", len(p) - 2) if "%" in p[-2:] else -1
                carry, p = (p[cut:], p[:cut]) if cut >= 0 else ("", p)
                fixed.append(p)
            if carry:
                fixed.append(carry)
            disp = (";" + CRLF + " ").join(
                f"filename*{i}*={'UTF-8' + chr(39) * 2 if i == 0 else ''}{p}" for i, p in enumerate(fixed))
        else:
            disp = f"filename*=UTF-8''{data}"
        return f'name="{header_text(filename, "UTF-8")}"', disp
    words = encoded_words(filename, style.charset, max_bytes=30 if style.names == "2047-split" else 60,
                          split_mid=style.names == "2047-split" and rng.random() < 0.7)
    if style.names == "2047-unquoted" and len(words) == 1:
        return f"name={words[0]}", f"filename={words[0]}"
    joined = (CRLF + "\t").join(words)
    return f'name="{joined}"', f'filename="{joined}"'


CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel", "doc": "application/msword", "pdf": "application/pdf",
    "zip": "application/x-zip-compressed", "eml": "message/rfc822", "jpg": "image/jpeg",
}


def content_type_for(filename: str, style: Style) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()
    if style.name == "qq" and ext != "eml":
        return "application/octet-stream"
    return CONTENT_TYPES.get(ext, "application/octet-stream")


def _b64(data: bytes, width: int = 76) -> str:
    enc = base64.b64encode(data).decode()
    return CRLF.join(enc[i:i + width] for i in range(0, len(enc), width))


def _text_part(text: str, subtype: str, style: Style) -> str:
    label = encodable(text, style.charset)
    data = text.replace("\n", "\r\n").encode(_codec(label))
    if style.body_cte == "quoted-printable":
        body = binascii.b2a_qp(data).decode().replace("\n", CRLF)
    elif style.body_cte == "8bit":  # only Thunderbird, always UTF-8
        body = text.replace("\n", CRLF)
    else:
        body = _b64(data)
    flowed = "; format=flowed" if style.name == "thunderbird" and subtype == "plain" else ""
    return (f"Content-Type: text/{subtype}; charset={label}{flowed}{CRLF}"
            f"Content-Transfer-Encoding: {style.body_cte}{CRLF}{CRLF}{body}{CRLF}")


def _html(text: str, style: Style) -> str:
    lines = "".join(f"<div>{escape(line) if line else '<br>'}</div>" for line in text.split("\n"))
    if style.name == "netease":
        return ('<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">'
                f"{lines}</div><br><br><span title=\"neteasefooter\"><p>&nbsp;</p></span>")
    return f"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={style.charset}\"></head><body>{lines}</body></html>"


def boundary(rng: random.Random, style: Style) -> str:
    if style.name == "netease":
        return f"----=_Part_{rng.randint(10**5, 10**6)}_{rng.randint(10**8, 10**9)}.{rng.randint(1757000000000, 1759999999999)}"
    if style.name == "outlook":
        return f"----=_NextPart_000_{rng.randint(0, 0xFFFF):04X}_01DC{rng.randint(0, 0xFFFF):04X}.{rng.randint(0, 2**32 - 1):08X}"
    if style.name in ("qq", "foxmail"):
        return "----=_NextPart_" + "_".join(f"{rng.randint(0, 2**32 - 1):08X}" for _ in range(3))
    return "------------" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(24))


@dataclass
class File:
    name: str
    data: bytes
    content_type: str = ""  # "" = chosen from the name and the client


def compose(rng: random.Random, style: Style, *, message_id: str, when: datetime, from_name: str,
            from_addr: str, to: list[tuple[str, str]], subject: str, text: str, files: Sequence[File] = (),
            extra_headers: Sequence[tuple[str, str]] = (), received_from: str = "",
            cc: Sequence[tuple[str, str]] = (),
            html: bool | None = None, in_reply_to: str = "") -> bytes:
    """One complete mail as raw bytes (CRLF line ends)."""
    headers: list[tuple[str, str]] = []
    if received_from:
        headers.append(("Received", f"from {received_from} (unknown [{rng.randint(1, 223)}.{rng.randint(0, 255)}."
                        f"{rng.randint(0, 255)}.{rng.randint(1, 254)}]){CRLF}\tby mx{rng.randint(1, 9)}.126.com "
                        f"(Coremail) with SMTP id {rng.randint(10**6, 10**7)};{CRLF}\t{format_datetime(when)}"))
    headers += [("Date", format_datetime(when)), ("From", address(from_name, from_addr, style)),
                ("To", ("," + CRLF + " ").join(address(n, a, style) for n, a in to))]
    if cc:
        headers.append(("Cc", ", ".join(address(n, a, style) for n, a in cc)))
    headers.append(("Subject", header_text(subject, style.charset)))
    if in_reply_to:
        headers += [("In-Reply-To", in_reply_to), ("References", in_reply_to)]
    headers += list(style.headers) + list(extra_headers)
    headers += [("Message-ID", message_id), ("MIME-Version", "1.0")]

    use_html = style.html if html is None else html
    if use_html:
        b = boundary(rng, style)
        inner_head = f'Content-Type: multipart/alternative;{CRLF}\tboundary="{b}"'
        inner_body = (f"--{b}{CRLF}{_text_part(text, 'plain', style)}{CRLF}--{b}{CRLF}"
                      f"{_text_part(_html(text, style), 'html', style)}{CRLF}--{b}--{CRLF}")
    else:
        inner_head, _, inner_body = _text_part(text, "plain", style).partition(CRLF + CRLF)
    if not files:
        return _join(headers, inner_body, inner_head)

    outer = boundary(rng, style)
    chunks = [f"This is a multi-part message in MIME format.{CRLF}{CRLF}",
              f"--{outer}{CRLF}{inner_head}{CRLF}{CRLF}{inner_body}{CRLF}"]
    for f in files:
        chunks.append(f"--{outer}{CRLF}{_file_part(f, style, rng)}{CRLF}")
    chunks.append(f"--{outer}--{CRLF}")
    return _join(headers, "".join(chunks), f'Content-Type: multipart/mixed;{CRLF}\tboundary="{outer}"')


def _file_part(f: File, style: Style, rng: random.Random) -> str:
    ctype = f.content_type or content_type_for(f.name, style)
    name_p, file_p = _name_params(f.name, style, rng)
    if ctype == "message/rfc822":
        cte = "8bit" if any(b > 127 for b in f.data) else "7bit"
        return (f"Content-Type: message/rfc822;{CRLF}\t{name_p}{CRLF}Content-Transfer-Encoding: {cte}{CRLF}"
                f"Content-Disposition: attachment;{CRLF}\t{file_p}{CRLF}{CRLF}"
                f"{f.data.decode('utf-8', 'surrogateescape')}")
    return (f"Content-Type: {ctype};{CRLF}\t{name_p}{CRLF}Content-Transfer-Encoding: base64{CRLF}"
            f"Content-Disposition: attachment;{CRLF}\t{file_p}{CRLF}{CRLF}{_b64(f.data)}")


def _join(headers: list[tuple[str, str]], body: str, content_head: str = "") -> bytes:
    """Header block + body; content_head holds ready-made Content-* header lines."""
    head = "".join(f"{k}: {v}{CRLF}" for k, v in headers) + (content_head + CRLF if content_head else "")
    return (head + CRLF + body).encode("utf-8", "surrogateescape")


def bounce(rng: random.Random, *, message_id: str, when: datetime, mailbox: str, failed_to: str,
           original_subject: str, original_id: str, postfix: bool) -> bytes:
    """A delivery-status notification for one of the office's own replies."""
    b = f"{rng.randint(10**9, 10**10 - 1)}.{rng.randint(10**5, 10**6)}/mx{rng.randint(1, 9)}.126.com"
    date = format_datetime(when)
    if postfix:
        frm, subject = "MAILER-DAEMON@m15-112.126.com (Mail Delivery System)", "Undelivered Mail Returned to Sender"
        note = ("This is the mail system at host m15-112.126.com.\r\n\r\nI'm sorry to have to inform you that "
                "your message could not\r\nbe delivered to one or more recipients.\r\n\r\n"
                f"<{failed_to}>: host mx.example.com said: 550 5.1.1 User unknown\r\n")
        note_part = f"Content-Type: text/plain; charset=us-ascii{CRLF}{CRLF}{note}"
    else:
        frm, subject = "MAILER-DAEMON@126.com", header_text("系统退信", "UTF-8")
        note = f"很抱歉您发送的邮件被退回，以下是该邮件的相关信息：\r\n收件人：{failed_to}\r\n退信原因：收件人邮箱不存在\r\n"
        note_part = (f"Content-Type: text/plain; charset=UTF-8{CRLF}Content-Transfer-Encoding: base64{CRLF}{CRLF}"
                     f"{_b64(note.encode())}{CRLF}")
    dsn = (f"Reporting-MTA: dns; m15-112.126.com{CRLF}X-Postfix-Queue-ID: {rng.randint(10**6, 10**7):X}{CRLF}"
           f"Arrival-Date: {date}{CRLF}{CRLF}Final-Recipient: rfc822; {failed_to}{CRLF}"
           f"Original-Recipient: rfc822;{failed_to}{CRLF}Action: failed{CRLF}Status: 5.1.1{CRLF}"
           f"Diagnostic-Code: smtp; 550 5.1.1 <{failed_to}>: User unknown{CRLF}")
    orig = (f"Date: {date}{CRLF}From: {mailbox}{CRLF}To: {failed_to}{CRLF}"
            f"Subject: {header_text(original_subject, 'UTF-8')}{CRLF}Message-ID: {original_id}{CRLF}"
            f"Auto-Submitted: auto-replied{CRLF}MIME-Version: 1.0{CRLF}")
    body = (f"This is a MIME-encapsulated message.{CRLF}{CRLF}--{b}{CRLF}Content-Description: Notification{CRLF}"
            f"{note_part}{CRLF}--{b}{CRLF}Content-Description: Delivery report{CRLF}"
            f"Content-Type: message/delivery-status{CRLF}{CRLF}{dsn}{CRLF}--{b}{CRLF}"
            f"Content-Description: Undelivered Message Headers{CRLF}Content-Type: text/rfc822-headers{CRLF}{CRLF}"
            f"{orig}{CRLF}--{b}--{CRLF}")
    headers = [("Return-Path", "<>"), ("Date", date), ("From", frm), ("To", mailbox), ("Subject", subject),
               ("Auto-Submitted", "auto-replied"), ("Message-ID", message_id), ("MIME-Version", "1.0"),
               ("Content-Type", f'multipart/report; report-type=delivery-status;{CRLF}\tboundary="{b}"')]
    return _join(headers, body)
