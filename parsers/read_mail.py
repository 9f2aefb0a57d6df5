"""One mail's bytes into what it says: envelope, files read, activities normalized.

Pure and picklable on both sides, so the pipeline can run it in a sandboxed worker process.
Attachment bytes are dropped from the returned envelope: they are bulky and stay in the
archived raw message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .mime import parse_message
from .parsed import Activity, Attachment, Envelope, FileResult, RawActivity
from .prose import propose_from_mail_body
from .read_file import extract_file
from .scan_files import deferred
from .values import normalize_activity


@dataclass
class MailContent:
    envelope: Envelope  # attachments carry no data here
    files: list[FileResult] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)  # key activities (重点活动): they count
    general_activities: list[Activity] = field(default_factory=list)  # 一般活动: shown, never counted
    # rows read from the mail body when the body itself is the summary (no file told any activity)
    body_proposed: list[RawActivity] = field(default_factory=list)
    ocr_pending: bool = False  # read with OCR deferred (``read_mail(..., ocr=False)``) and a picture waits for it


def sort_ranks(content: MailContent) -> MailContent:
    """Move the general activities (a sheet, section or column saying 一般活动) out of ``activities``."""
    general = [a for a in content.activities if a.rank == "general"]
    if general:
        content.activities = [a for a in content.activities if a.rank != "general"]
        content.general_activities += general
    return content


def strip_data(envelope: Envelope) -> Envelope:
    return replace(envelope, attachments=[replace(a, data=b"") for a in envelope.attachments])


def attachment_label(name: str, path: str) -> str:
    return f"{path}{name}" if path else name


def files_to_activities(files: list[FileResult], year: int) -> list[Activity]:
    return [activity for f in files for activity in file_activities(f.activities, year)]


def file_activities(rows: list[RawActivity], year: int) -> list[Activity]:
    """A file's rows normalized; a row naming days only ("23-24日", "全月") is read in the month every
    other dated row of the file is in (a table's rows share the campaign's month), never guessed
    where the rows disagree or none names a month."""
    activities = [normalize_activity(raw, year) for raw in rows]
    months = {day.month for a in activities for day in (a.start_date, a.end_date) if day is not None}
    if len(months) != 1:
        return activities
    month = months.pop()
    return [normalize_activity(raw, year, month) if "date_unparsed" in a.flags else a
            for raw, a in zip(rows, activities)]


def read_attachment(name: str, data: bytes, content_type: str, year: int) -> tuple[list[FileResult], list[Activity]]:
    files = extract_file(name, data, content_type)
    return files, files_to_activities(files, year)


_COPY_WORDS = re.compile(r"[（(]?(盖章版?|盖章扫描件|扫描件|扫描版|签章版|pdf版|正式版)[)）]?", re.I)
PICTURE_NOT_READ = "图片未作识别：本邮件的其他附件中已读出活动表"
COPY_NOTE = "“{pdf}”是“{word}”的盖章版/副本，按同一份材料处理，不重复计入"


def _stem(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return re.sub(r"[\W_]+", "", _COPY_WORDS.sub("", base)).lower()


def _chars(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} if text else set()


def mark_copies(files: list[FileResult]) -> None:
    """A PDF sent beside the Word file it was printed from (the stamped copy) is noted as a copy.

    Same name once 盖章版/扫描件 is dropped, or (for a text PDF) most of its character pairs found in
    the Word file's text. A copy's rows are the Word file's rows: they are dropped, not counted twice.
    """
    words = [f for f in files if f.kind in ("docx", "doc", "wps", "odt") and f.status == "parsed"]
    for pdf in (f for f in files if f.kind == "pdf" and f.status == "parsed"):
        for word in words:
            same_name = _stem(pdf.name) and _stem(pdf.name) == _stem(word.name)
            a, b = _chars(re.sub(r"\s+", "", pdf.text)), _chars(re.sub(r"\s+", "", word.text))
            same_text = len(a) >= 50 and len(a & b) >= 0.8 * len(a)
            if same_name or same_text:
                pdf.copy_of = word.name
                pdf.activities, pdf.proposed = [], []
                pdf.notes.append(COPY_NOTE.format(pdf=pdf.name.rsplit("/", 1)[-1],
                                                  word=word.name.rsplit("/", 1)[-1]))
                break


def read_mail(raw: bytes, year: int, ocr: bool = True) -> MailContent:
    """Parse a whole mail and read every attachment (the common, fast path).

    Pictures (scans, photos, pictures in Word files) are read by OCR only when no attachment of the mail
    holds an activity table: beside an Excel list they are the activities' photos, or a stamped copy. With
    ``ocr=False`` they are not read at all (OCR takes seconds a page): ``ocr_pending`` then says whether
    the mail waits for it."""
    envelope = parse_message(raw)
    parts: list[tuple[Attachment, list[FileResult], list[str]]] = []
    for attachment in envelope.attachments:
        with deferred() as waiting:
            results = extract_file(attachment_label(attachment.name, attachment.path), attachment.data,
                                   attachment.content_type)
        parts.append((attachment, results, waiting))
    with_pictures = [i for i, (_, _, waiting) in enumerate(parts) if waiting]
    tables = any(f.activities for _, results, _ in parts for f in results)
    pending = False
    if with_pictures and tables:
        for i in with_pictures:
            for f in parts[i][1]:
                if f.name in parts[i][2] and f.kind == "image":
                    f.notes.append(PICTURE_NOT_READ)
    elif with_pictures and ocr:
        for i in with_pictures:
            attachment = parts[i][0]
            parts[i] = (attachment, extract_file(attachment_label(attachment.name, attachment.path),
                                                 attachment.data, attachment.content_type), [])
    elif with_pictures:
        pending = True
    files = [f for _, results, _ in parts for f in results]
    mark_copies(files)
    content = sort_ranks(MailContent(strip_data(envelope), files, files_to_activities(files, year),
                                     ocr_pending=pending))
    if not any(f.activities or f.proposed for f in files):
        content.body_proposed = propose_from_mail_body(envelope.text)
    return content
