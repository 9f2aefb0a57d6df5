"""Each office client's layout, as seen in the raw source ("显示邮件原文") of mail these clients send.

What each imitates (from mail I have seen such clients send; the comment of each function says which):
headers (X-Mailer, Thread-Index, X-QQ-*, Coremail's X-Originating-IP), the multipart tree, the body's
charset and transfer encoding, and how attachment names are encoded.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from blindmail.mime import b64, date, message, multipart, part, qp, rfc2231, word
from blindmail.registry import MAILBOX

CTYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "doc": "application/msword", "xls": "application/vnd.ms-excel", "zip": "application/x-zip-compressed",
          "ods": "application/vnd.oasis.opendocument.spreadsheet", "heic": "image/heic",
          "jpg": "image/jpeg", "png": "image/png", "et": "application/octet-stream",
          "wps": "application/octet-stream", "pdf": "application/pdf", "eml": "application/octet-stream"}


@dataclass
class Mail:
    from_name: str
    from_addr: str
    subject: str
    text: str
    when: datetime
    files: list[tuple[str, bytes]] = field(default_factory=list)
    to: str = MAILBOX
    in_reply_to: str = ""
    html: str = ""  # default: the text in <div>s

    @property
    def mid_seed(self) -> str:
        return hashlib.sha1(f"{self.from_addr}{self.subject}{self.when}".encode()).hexdigest()

    def html_body(self) -> str:
        if self.html:
            return self.html
        return "".join(f"<div>{escape(line) or '<br>'}</div>" for line in self.text.split("\n"))


def _ext(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def _reply_headers(m: Mail) -> list[tuple[str, str]]:
    return [("In-Reply-To", m.in_reply_to), ("References", m.in_reply_to)] if m.in_reply_to else []


def outlook(m: Mail, *, image: bytes | None = None, charset: str = "gb2312") -> bytes:
    """Outlook 2016 (Chinese Windows): mixed > related > alternative(plain base64, html QP) + image001.png by cid,
    attachments named with RFC 2047 gb2312 words in both name= and filename=, Thread-Index, Content-Language."""
    s = m.mid_seed
    stamp = f"01DC{s[:4].upper()}.{s[4:12].upper()}"
    html = ("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head><meta http-equiv=Content-Type "
            f"content=\"text/html; charset={charset}\"><meta name=Generator content=\"Microsoft Word 15 (filtered medium)\">"
            "</head><body lang=ZH-CN><div class=WordSection1>"
            + "".join(f"<p class=MsoNormal><span style='font-family:\"微软雅黑\",sans-serif'>{escape(line) or '<o:p>&nbsp;</o:p>'}"
                      "<o:p></o:p></span></p>" for line in m.text.split("\n"))
            + (f"<p class=MsoNormal><img width=120 height=40 src=\"cid:image001.png@{stamp}\"></p>" if image else "")
            + "</div></body></html>")
    alt = multipart("multipart/alternative", f"----=_NextPart_002_0003_{stamp}", [
        part([("Content-Type", f'text/plain;\r\n\tcharset="{charset}"'), ("Content-Transfer-Encoding", "base64")],
             b64(m.text.replace("\n", "\r\n").encode(charset))),
        part([("Content-Type", f'text/html;\r\n\tcharset="{charset}"'),
              ("Content-Transfer-Encoding", "quoted-printable")], qp(html, charset))])
    body_part = part([("Content-Type", alt[0])], alt[1])
    if image:
        rel = multipart('multipart/related;\r\n\ttype="multipart/alternative"', f"----=_NextPart_001_0002_{stamp}", [
            body_part,
            part([("Content-Type", 'image/png;\r\n\tname="image001.png"'), ("Content-Transfer-Encoding", "base64"),
                  ("Content-ID", f"<image001.png@{stamp}>")], b64(image))])
        body_part = part([("Content-Type", rel[0])], rel[1])
    parts = [body_part]
    for name, data in m.files:
        enc = word(name, charset, "B", 14 if len(name) > 16 else 0).replace("\r\n\t", "\r\n ")
        parts.append(part([("Content-Type", f'{CTYPES.get(_ext(name), "application/octet-stream")};\r\n\tname="{enc}"'),
                           ("Content-Transfer-Encoding", "base64"),
                           ("Content-Disposition", f'attachment;\r\n\tfilename="{enc}"')], b64(data)))
    ctype, body = multipart("multipart/mixed", f"----=_NextPart_000_0001_{stamp}", parts,
                            "This is a multipart message in MIME format.")
    head = [("From", f'"{word(m.from_name, charset)}" <{m.from_addr}>'), ("To", f"<{m.to}>"),
            *_reply_headers(m), ("Subject", word(m.subject, charset, "B", 12)), ("Date", date(m.when)),
            ("Message-ID", f"<000001dc{s[:4]}${s[4:12]}${s[12:20]}@{m.from_addr.split('@')[1]}>")]
    return message(head, ctype, body, [("X-Mailer", "Microsoft Outlook 16.0"),
                                       ("Thread-Index", "AQHc" + s[:20] + "=="), ("Content-Language", "zh-cn")])


def foxmail(m: Mail, *, charset: str = "gb2312", codec: str = "gbk") -> bytes:
    """Foxmail 7.2 (Windows): From's name in GB2312 encoded-words split every few characters, mixed >
    alternative(plain base64, html base64), attachments with name="=?gb2312?B?…?=" and Boundary_(ID_…)."""
    s = m.mid_seed
    alt = multipart("multipart/alternative", f"----=_001_NextPart{s[:12]}_=----", [
        part([("Content-Type", f'text/plain;\r\n\tcharset="{charset}"'), ("Content-Transfer-Encoding", "base64")],
             b64(m.text.replace("\n", "\r\n").encode(codec))),
        part([("Content-Type", f'text/html;\r\n\tcharset="{charset}"'), ("Content-Transfer-Encoding", "base64")],
             b64(("<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=" + charset
                  + "\"><style>body { font-size: 14px; font-family: 'Microsoft YaHei UI'; }</style></head><body>"
                  + m.html_body() + "</body></html>").encode(codec)))])
    parts = [part([("Content-Type", alt[0])], alt[1])]
    for name, data in m.files:
        enc = word(name, charset, "B", codec=codec)
        parts.append(part([("Content-Type", f'{CTYPES.get(_ext(name), "application/octet-stream")};\r\n\tname="{enc}"'),
                           ("Content-Transfer-Encoding", "base64"),
                           ("Content-Disposition", f'attachment;\r\n\tfilename="{enc}"')], b64(data)))
    ctype, body = multipart("multipart/mixed", f"----=_001_NextPart{s[12:24]}_=----", parts,
                            "This is a multi-part message in MIME format.")
    head = [("Date", date(m.when).replace(" +0800", " +0800")),
            ("From", f"{word(m.from_name, charset, 'B', 3, codec)} <{m.from_addr}>"),
            ("To", f'"{word("唐山市素质办", charset)}" <{m.to}>'), *_reply_headers(m),
            ("Subject", word(m.subject, charset, "B", 10, codec)),
            ("X-Priority", "3"), ("X-GUID", f"{s[:8].upper()}-{s[8:12].upper()}-{s[12:16].upper()}"),
            ("X-Has-Attach", "yes" if m.files else "no"), ("X-Mailer", "Foxmail 7.2.25.228[cn]"),
            ("Message-ID", f"<{m.when:%Y%m%d%H%M%S}{s[:14]}@{m.from_addr.split('@')[1]}>")]
    return message(head, ctype, body)


def apple(m: Mail, *, iphone: bool = False) -> bytes:
    """Apple Mail 16 (macOS) / iOS Mail: alternative(plain QP, mixed(html, attachment inline, html)), the
    attachments with Content-Disposition inline and RFC 2231 names; iOS also sends the photos as image/heic
    and ends the text with 发自我的iPhone."""
    s = m.mid_seed
    boundary = f"Apple-Mail={s[:8].upper()}-{s[8:12].upper()}-{s[12:16].upper()}-{s[16:28].upper()}"
    atts = []
    for name, data in m.files:
        ext = _ext(name)
        atts.append(part([("Content-Disposition", f"inline;\r\n\t{rfc2231(name, 60)}"),
                          ("Content-Type", f'{CTYPES.get(ext, "application/octet-stream")};\r\n\tx-unix-mode=0644;\r\n\t'
                                           + rfc2231(name, 60).replace("filename", "name")),
                          ("Content-Transfer-Encoding", "base64")], b64(data)))
    html = ('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
            f'<body style="overflow-wrap: break-word;">{m.html_body()}')
    mixed = multipart("multipart/mixed", boundary + "M",
                      [part([("Content-Transfer-Encoding", "quoted-printable"), ("Content-Type", "text/html;\r\n\tcharset=utf-8")],
                            qp(html + "<div><br></div>", "utf-8")),
                       *atts,
                       part([("Content-Transfer-Encoding", "7bit"), ("Content-Type", "text/html;\r\n\tcharset=us-ascii")],
                            b"<div><br></div></body></html>")])
    alt = multipart("multipart/alternative", boundary + "A", [
        part([("Content-Transfer-Encoding", "quoted-printable"), ("Content-Type", "text/plain;\r\n\tcharset=utf-8")],
             qp(m.text, "utf-8")),
        part([("Content-Type", mixed[0])], mixed[1])])
    head = [("From", f"{word(m.from_name, 'utf-8', 'B')} <{m.from_addr}>"),
            ("Content-Type", alt[0]), ("Mime-Version", "1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))" if not iphone
                                       else "1.0 (1.0)"),
            ("Subject", word(m.subject, "utf-8", "Q") if len(m.subject) < 15 else word(m.subject, "utf-8", "B", 14)),
            *_reply_headers(m), ("Date", date(m.when)), ("Message-Id", f"<{s[:8].upper()}-{s[8:12].upper()}-{s[12:24].upper()}@"
                                                                      f"{m.from_addr.split('@')[1]}>"),
            ("To", m.to),
            ("X-Mailer", "iPhone Mail (22F76)" if iphone else "Apple Mail (2.3774.600.62)")]
    return part(head, alt[1])


def coremail(m: Mail, *, charset: str = "GBK", large: list[tuple[str, str, str]] = ()) -> bytes:
    """NetEase 126/163 web mail (Coremail XT5): alternative(plain GBK base64, html GBK base64) in mixed,
    X-Originating-IP, X-CM-* headers, attachment names as RFC 2047 GBK words; 超大附件 go as links in the
    body (name, size, url)."""
    s = m.mid_seed
    text, html = m.text, m.html_body()
    if large:
        text += "\n\n从网易126邮箱发来的超大附件\n" + "\n".join(f"{n} ({size}, 2025年10月20日 到期)\n下载: {url}"
                                                           for n, size, url in large)
        html += ("<div style=\"clear:both\"><b>从网易126邮箱发来的超大附件</b>"
                 + "".join(f"<div><a href=\"{url}\">{escape(n)}</a> ({size}, 2025年10月20日 到期)</div>"
                           for n, size, url in large) + "</div>")
    alt = multipart("multipart/alternative", f"----=_Part_{s[:6]}_{s[6:16]}.{s[16:29]}", [
        part([("Content-Type", f"text/plain; charset={charset}"), ("Content-Transfer-Encoding", "base64")],
             b64(text.replace("\n", "\r\n").encode(charset))),
        part([("Content-Type", f"text/html; charset={charset}"), ("Content-Transfer-Encoding", "base64")],
             b64(f"<div style=\"line-height:1.7;color:#000000;font-size:14px;font-family:Arial\">{html}</div>"
                 .encode(charset)))])
    if m.files:
        parts = [part([("Content-Type", alt[0])], alt[1])]
        for name, data in m.files:
            enc = word(name, charset, "B")
            parts.append(part([("Content-Type", f'{CTYPES.get(_ext(name), "application/octet-stream")}; name="{enc}"'),
                               ("Content-Transfer-Encoding", "base64"),
                               ("Content-Disposition", f'attachment; filename="{enc}"')], b64(data)))
        ctype, body = multipart("multipart/mixed", f"----=_Part_{s[29:35]}_{s[:10]}.{s[10:23]}", parts)
    else:
        ctype, body = alt
    head = [("Date", date(m.when)), ("From", f'"{word(m.from_name, charset)}" <{m.from_addr}>'), ("To", m.to),
            *_reply_headers(m), ("Subject", word(m.subject, charset)),
            ("X-Priority", "3"), ("X-Mailer", "Coremail Webmail Server Version XT5.0.14 build 20230109(dcb5de15)"),
            ("X-Originating-IP", "[106.117.92.14]"),
            ("Message-ID", f"<{s[:8]}.{s[8:12]}.{s[12:24]}.Coremail.{m.from_addr.split('@')[0]}@"
                           f"{m.from_addr.split('@')[1]}>"), ("X-Coremail-Locale", "zh_CN"),
            ("X-CM-TRANSID", f"{s[:20]}--.{s[20:28]}"), ("X-CM-SenderInfo", f"{s[28:36]}")]
    return message(head, ctype, body)


def qqmail(m: Mail) -> bytes:
    """QQ Mail web (mail.qq.com): alternative(plain gb18030 base64, html gb18030 base64) in mixed, the names
    in gb18030 encoded-words, X-QQ-* headers, Message-ID "tencent_…@qq.com"."""
    s = m.mid_seed
    alt = multipart("multipart/alternative", f"----=_NextPart_{s[:8].upper()}_{s[8:16].upper()}_{s[16:24].upper()}", [
        part([("Content-Type", 'text/plain;\r\n\tcharset="gb18030"'), ("Content-Transfer-Encoding", "base64")],
             b64(m.text.replace("\n", "\r\n").encode("gb18030"))),
        part([("Content-Type", 'text/html;\r\n\tcharset="gb18030"'), ("Content-Transfer-Encoding", "base64")],
             b64(("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=GB18030\">" + m.html_body())
                 .encode("gb18030")))])
    parts = [part([("Content-Type", alt[0])], alt[1])]
    for name, data in m.files:
        enc = word(name, "gb18030", "B")
        parts.append(part([("Content-Type", f'{CTYPES.get(_ext(name), "application/octet-stream")};\r\n\tname="{enc}"'),
                           ("Content-Disposition", f'attachment; filename="{enc}"'),
                           ("Content-Transfer-Encoding", "base64")], b64(data)))
    ctype, body = (multipart("multipart/mixed", f"----=_NextPart_{s[24:32].upper()}_{s[:8].upper()}_{s[8:16].upper()}",
                             parts, "This is a multi-part message in MIME format.") if m.files else alt)
    head = [("From", f'"{word(m.from_name, "gb18030")}" <{m.from_addr}>'),
            ("To", f'"{word("tskxpjb", "gb18030")}" <{m.to}>'), *_reply_headers(m),
            ("Subject", word(m.subject, "gb18030")), ("Date", date(m.when).replace("+0800", "+0800")),
            ("X-Priority", "3"), ("Message-ID", f"<tencent_{s[:32].upper()}@qq.com>"),
            ("X-QQ-MIME", "TCMime 1.0 by Tencent"), ("X-Mailer", "QQMail 2.x"), ("X-QQ-Mailer", "QQMail 2.x"),
            ("X-QQ-mid", f"xmsezb{s[:20]}")]
    return message(head, ctype, body)


def nodemailer(m: Mail) -> bytes:
    """nodemailer 6.9 (an OA system's 'send by mail'): quoted-printable UTF-8 text and html, the subject as
    folded UTF-8 B words, attachments named by RFC 2231 continuations (filename*0*=…) and RFC 2047 name=."""
    s = m.mid_seed
    alt = multipart("multipart/alternative", f"--_NmP-{s[:16]}-Part_2", [
        part([("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")],
             qp(m.text, "utf-8")),
        part([("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")],
             qp(m.html_body(), "utf-8"))])
    parts = [part([("Content-Type", alt[0])], alt[1])]
    for name, data in m.files:
        parts.append(part([("Content-Type", f'{CTYPES.get(_ext(name), "application/octet-stream")};\r\n name="{word(name, "utf-8", "B", 16)}"'),
                           ("Content-Transfer-Encoding", "base64"),
                           ("Content-Disposition", f"attachment;\r\n {rfc2231(name, 40)}")], b64(data)))
    ctype, body = multipart("multipart/mixed", f"--_NmP-{s[16:32]}-Part_1", parts)
    head = [("Content-Type", ctype.replace("\r\n\t", "\r\n ")), ("From", f"{word(m.from_name, 'UTF-8')} <{m.from_addr}>"),
            ("To", m.to), *_reply_headers(m), ("Subject", word(m.subject, "UTF-8", "B", 14).replace("\r\n\t", "\r\n ")),
            ("Message-ID", f"<{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:32]}@{m.from_addr.split('@')[1]}>"),
            ("X-Mailer", "nodemailer (6.9.14; +https://nodemailer.com/; SES/1.1)"),
            ("Date", date(m.when)), ("MIME-Version", "1.0")]
    return part(head, body)


def thunderbird(m: Mail) -> bytes:
    """Thunderbird 128 (a LibreOffice office's mail client): mixed(plain format=flowed UTF-8 8bit, attachments
    with RFC 2231 names), User-Agent."""
    s = m.mid_seed
    parts = [part([("Content-Type", "text/plain; charset=UTF-8; format=flowed"), ("Content-Transfer-Encoding", "8bit")],
                  m.text.replace("\n", "\r\n").encode("utf-8"))]
    for name, data in m.files:
        parts.append(part([("Content-Type", f'{CTYPES.get(_ext(name), "application/octet-stream")};\r\n {rfc2231(name, 0).replace("filename", "name")}'),
                           ("Content-Disposition", f"attachment;\r\n {rfc2231(name, 50)}"),
                           ("Content-Transfer-Encoding", "base64")], b64(data)))
    ctype, body = multipart("multipart/mixed", f"------------{s[:24]}", parts, "This is a multi-part message in MIME format.")
    head = [("Content-Type", ctype.replace("\r\n\t", "\r\n ")), ("Message-ID", f"<{s[:8]}-{s[8:12]}-{s[12:16]}@{m.from_addr.split('@')[1]}>"),
            ("Date", date(m.when)), ("MIME-Version", "1.0"),
            ("User-Agent", "Mozilla Thunderbird"), ("Content-Language", "zh-CN"), ("To", m.to),
            ("From", f"{word(m.from_name, 'UTF-8', 'B')} <{m.from_addr}>"), *_reply_headers(m),
            ("Subject", word(m.subject, "UTF-8", "B", 14).replace("\r\n\t", "\r\n "))]
    return part(head, body)
