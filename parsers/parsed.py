"""Records passed between the parsing stages.

Every stage of ``parsers`` speaks in these types, so a stage can be read (and tested)
without knowing its neighbours. They are plain dataclasses: picklable, so they cross
the process boundary of the sandbox unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Starts every note about data left unread because a limit was reached (zip members, MIME parts, table
# rows...): the pipeline names these in the acknowledgment and sends the message for review.
LIMIT_FLAG = "【超出处理上限】"


@dataclass
class Attachment:
    """One file carried by a mail (including files of forwarded messages)."""

    name: str  # decoded file name, "" when the mail gave none
    content_type: str  # as declared, lower case, e.g. "application/vnd.ms-excel"
    data: bytes
    path: str = ""  # where it sat, e.g. "转发邮件1/总结.docx"; "" for a top-level part


@dataclass
class ForwardedHeader:
    """Who wrote a message that was forwarded to us (message/rfc822 or inline quote)."""

    from_addr: str  # lower case, "" when unknown
    from_name: str
    subject: str
    date: datetime | None = None


@dataclass
class Envelope:
    """A mail reduced to what the pipeline needs."""

    message_id: str | None  # with angle brackets, as in the header; None when absent
    subject: str
    from_addr: str  # lower case bare address, "" when unparseable
    from_name: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str = ""
    date: datetime | None = None  # timezone-aware; None when absent or unparseable
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case name -> decoded values
    content_type: str = "text/plain"  # top-level, lower case (e.g. "multipart/report")
    text: str = ""  # plain-text body (HTML-only bodies converted to text)
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: list[ForwardedHeader] = field(default_factory=list)
    oversize_links: list[str] = field(default_factory=list)  # 超大附件 download links found in the body
    defects: list[str] = field(default_factory=list)  # what was odd, in words an admin understands


@dataclass
class PageRef:
    """The page a proposed row was read from, so that a person can see it beside the row."""

    file: str  # the FileResult's name: the attachment as the mail names it ("包.zip/扫描.pdf" inside an archive)
    page: int  # from 1: the PDF page, the image's frame, or the picture's number in a Word file (word/media order)


@dataclass
class RawActivity:
    """One row of an activity table, cell values as found.

    Canonical field names: title, date, location, organizer, format, participants,
    participants_offline, participants_online, contact, phone, remark, platform.
    Values are whatever the reader produced: str, int, float, date, datetime or None.
    """

    fields: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)  # unknown columns, header -> value
    source: str = ""  # "file.xlsx!Sheet1!R7" or "file.docx!表2!R3"; for a proposal, in words: "扫描件第1页第3行"
    # Rows read where there is no table (OCR of a scan or photo, prose) are proposals: how sure the reader is
    # (0..1), and the text it read them from (the paragraph, the OCR line), shown to the person who confirms.
    confidence: float | None = None
    evidence: str = ""
    page: PageRef | None = None  # a proposal read from a scan, a photo or a picture: where it sits
    # "key" (重点活动: counted toward the quota) or "general" (一般活动: shown, never counted); a row is
    # general only where its sheet, section or a column says so
    rank: str = "key"


@dataclass
class Activity:
    """A normalized activity. ``raw`` keeps the text each value came from."""

    title: str
    start_date: date | None
    end_date: date | None
    location: str | None
    organizer: str | None
    format: str | None  # online | offline | hybrid | None
    participants: int | None
    participants_offline: int | None
    participants_online: int | None
    source: str
    raw: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # e.g. "date_ambiguous", "date_unparsed"
    extra: dict[str, str] = field(default_factory=dict)
    rank: str = "key"  # key | general (see RawActivity.rank)


@dataclass
class FileResult:
    """What one attachment (or one member of an archive) yielded."""

    name: str  # display name; members of an archive are "包.zip/成员.xlsx"
    kind: str  # docx|xlsx|xlsm|xls|ods|et|doc|wps|pdf|zip|rar|7z|image|text|other
    status: str  # parsed | skipped | failed
    error: str | None = None  # Chinese, for the unit and the admins; None when parsed
    size: int = 0
    sha256: str = ""
    title: str | None = None  # document title (first heading / title row)
    text: str = ""  # readable text, capped, for identifying the unit
    narrative: dict[str, str] = field(default_factory=dict)  # section heading -> text
    activities: list[RawActivity] = field(default_factory=list)
    tables_found: int = 0  # tables that looked like activity lists
    is_scan: bool = False  # a PDF or image without a text layer
    copy_of: str | None = None  # a stamped PDF of another attached Word file: that file's name
    notes: list[str] = field(default_factory=list)  # warnings worth telling an admin
    # Rows read from a scan, a photo or prose: never counted until a person confirms them (``review confirm``)
    proposed: list[RawActivity] = field(default_factory=list)
