"""Records that cross from ingestion into the store and the outbox."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from parsers.parsed import Activity, PageRef


@dataclass
class Arrival:
    """A raw message that has just been archived, and where it was found."""

    mailbox: str  # "imap://user@host/INBOX" or "maildir:/path"
    uidvalidity: int
    uid: str
    key: str  # Message-ID, or "sha256:…" when the mail has none
    sha256: str
    message_id: str | None
    arrival_at: datetime | None
    date: datetime | None = None  # the Date header, until processing sets received_at properly


@dataclass
class FileRecord:
    name: str
    kind: str
    status: str  # parsed | skipped | failed
    error: str | None
    activities: int = 0


@dataclass
class Proposal:
    """A row read where there is no table (prose, a scan): counted nowhere until a person confirms it."""

    activity: Activity
    confidence: float | None
    evidence: str  # the paragraph or OCR line it was read from
    page: PageRef | None = None  # the scan's page it was read from (None for prose)


@dataclass
class UnitPart:
    """The files of one unit in a mail that carries several units' files (a county sending its own and a
    township's): each unit is credited with the files that name it (pipeline/judge/parts.py)."""

    unit_id: str
    standing: str  # own | forward | unverified, for this unit
    files: list[str] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    carries_list: bool = False
    carries_narrative: bool = False

    def ledger(self) -> dict:
        """What the ledger keeps of it (``messages.parts``, JSON)."""
        return {"unit_id": self.unit_id, "standing": self.standing, "files": self.files,
                "activities": len(self.activities), "carries_list": self.carries_list,
                "carries_narrative": self.carries_narrative}


@dataclass
class MessageResult:
    """Everything ingestion concluded about one message (before superseding, which is derived)."""

    outcome: str  # accepted | needs_review | ignored
    reason: str  # Chinese, for admins
    kind: str  # submission, auto_reply, bounce, list, receipt, own_mail, ack_reply, question, unrelated, unreadable
    message_id: str | None
    sender: str
    sender_name: str
    subject: str
    received_at: datetime
    late: bool
    unit_id: str | None
    candidates: list[str] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    general_activities: list[Activity] = field(default_factory=list)  # 一般活动: kept and shown, never counted
    narrative: dict[str, str] = field(default_factory=dict)
    carries_list: bool = False
    carries_narrative: bool = False
    fixes: list[str] = field(default_factory=list)  # what the unit should fix, Chinese
    notes: list[str] = field(default_factory=list)  # for admins
    reply_allowed: bool = False  # RFC 3834: may we answer this mail at all
    reply_to: str = ""
    references: str = ""
    excerpt: str = ""  # start of the body, for mail a person should answer
    standing: str | None = None  # own | forward | unverified (pipeline/judge/decide.py ``standing``); None without a unit
    proposed: list[Proposal] = field(default_factory=list)  # rows read from prose or scans, for a person to confirm
    # two units' files in one mail: one part per unit, the first is ``unit_id``'s; [] for a one-unit mail.
    # ``activities`` is then every part's activities in part order.
    parts: list[UnitPart] = field(default_factory=list)

    def activity_units(self) -> list[str | None]:
        """The unit each of ``activities`` counts for."""
        if not self.parts:
            return [self.unit_id] * len(self.activities)
        return [p.unit_id for p in self.parts for _ in p.activities]


@dataclass
class Outgoing:
    kind: str  # ack | notice | digest | reminder
    dedupe: str  # unique: the same dedupe key is never queued twice
    recipients: list[str]
    subject: str
    raw: bytes
    message_key: str | None = None
