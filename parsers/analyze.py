"""One mail's bytes into what it says: envelope, files read, activities normalized.

Pure and picklable on both sides, so the pipeline can run it in a sandboxed worker process.
Attachment bytes are dropped from the returned envelope: they are bulky and stay in the
archived raw message.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .extract import extract_file
from .mime import parse_message
from .model import Activity, Envelope, FileResult
from .values import normalize_activity


@dataclass
class MailContent:
    envelope: Envelope  # attachments carry no data here
    files: list[FileResult] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)


def strip_data(envelope: Envelope) -> Envelope:
    return replace(envelope, attachments=[replace(a, data=b"") for a in envelope.attachments])


def attachment_label(name: str, path: str) -> str:
    return f"{path}{name}" if path else name


def files_to_activities(files: list[FileResult], year: int) -> list[Activity]:
    return [normalize_activity(raw, year) for f in files for raw in f.activities]


def read_attachment(name: str, data: bytes, content_type: str, year: int) -> tuple[list[FileResult], list[Activity]]:
    files = extract_file(name, data, content_type)
    return files, files_to_activities(files, year)


def read_mail(raw: bytes, year: int) -> MailContent:
    """Parse a whole mail and read every attachment (the common, fast path)."""
    envelope = parse_message(raw)
    files: list[FileResult] = []
    for attachment in envelope.attachments:
        files += extract_file(attachment_label(attachment.name, attachment.path), attachment.data,
                              attachment.content_type)
    return MailContent(strip_data(envelope), files, files_to_activities(files, year))
