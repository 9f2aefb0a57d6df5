"""What the ledger gives back: typed, read-only rows (callers use attributes, never column names)."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, fields, replace
from typing import Any


def _json_list(text: str | None) -> tuple[str, ...]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _json_dict(text: str | None) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


@dataclass(frozen=True)
class UnitPartRow:
    """The files of one unit in a mail that carries several units' files (``ledger.records.UnitPart``)."""

    unit_id: str
    standing: str  # own | forward | unverified, for this unit
    files: tuple[str, ...] = ()
    activities: int = 0
    carries_list: bool = False
    carries_narrative: bool = False


def _parts(text: str | None) -> tuple[UnitPartRow, ...]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return ()
    return tuple(UnitPartRow(str(p["unit_id"]), p.get("standing") or "own", tuple(p.get("files") or ()),
                             int(p.get("activities") or 0), bool(p.get("carries_list")),
                             bool(p.get("carries_narrative")))
                 for p in (value if isinstance(value, list) else []) if isinstance(p, dict) and p.get("unit_id"))


@dataclass(frozen=True)
class MessageRow:
    """One message as the ledger holds it, with an admin's dismissal applied (``dismissal`` is its reason)."""

    key: str
    sha256: str = ""
    message_id: str | None = None
    arrival_at: str | None = None
    first_seen_at: str = ""
    state: str = "pending"  # pending | done | parked
    attempts: int = 0  # tries charged to the message (a try in progress included); reset by a reingest
    last_error: str | None = None
    outcome: str | None = None  # accepted | needs_review | ignored
    kind: str | None = None  # see ledger.records.MessageResult.kind; "dismissed" when an admin dismissed it
    reason: str | None = None
    unit_id: str | None = None
    candidates: tuple[str, ...] = ()
    sender: str | None = None
    sender_name: str | None = None
    subject: str | None = None
    received_at: str | None = None
    late: bool | None = None
    carries_list: bool | None = None
    carries_narrative: bool | None = None
    narrative: dict[str, str] = field(default_factory=dict)  # heading -> text, from the Word summary
    fixes: tuple[str, ...] = ()  # what the unit was asked to fix
    notes: tuple[str, ...] = ()  # for admins
    excerpt: str | None = None
    processed_at: str | None = None
    standing: str = "own"  # own | forward | unverified (pipeline/judge/decide.py); older ledgers: own
    parts: tuple[UnitPartRow, ...] = ()  # one per unit when a mail carries several units' files
    dismissal: str | None = None

    @property
    def ident(self) -> str:
        """How the export and admins name the message: its Message-ID, else the ledger key."""
        return self.message_id or self.key

    @property
    def received(self) -> str:
        return self.received_at or self.arrival_at or ""

    @classmethod
    def from_sql(cls, row: sqlite3.Row, dismissal: str | None = None) -> MessageRow:
        names = set(row.keys())
        plain = {f.name: row[f.name] for f in fields(cls) if f.name in names}
        def get(name: str) -> Any:  # a column a narrower SELECT (or an older schema) lacks reads as NULL
            return row[name] if name in names else None

        plain.update(candidates=_json_list(get("candidates")), notes=_json_list(get("notes")),
                     fixes=_json_list(get("fixes")), narrative=_json_dict(get("narrative")),
                     late=_flag(get("late")), carries_list=_flag(get("carries_list")),
                     carries_narrative=_flag(get("carries_narrative")), standing=get("standing") or "own",
                     parts=_parts(get("parts")))
        message = cls(**plain)
        return message.dismissed(dismissal) if dismissal is not None else message

    def dismissed(self, reason: str) -> MessageRow:
        """An admin dismissed it: it reads as ``ignored`` with the admin's reason. The ledger row itself keeps
        what ingestion concluded, so a reingest cannot undo the decision and it can be revoked."""
        return replace(self, state="done", outcome="ignored", kind="dismissed", reason=f"管理员已排除：{reason}",
                       dismissal=reason)


@dataclass(frozen=True)
class OutboxRow:
    """One outgoing mail. ``state``: pending | sending | unconfirmed | sent | failed | suppressed | withdrawn
    (outbox/queue.py draws the path between them)."""

    id: int
    dedupe: str
    kind: str  # ack | notice | digest | reminder
    message_key: str | None
    recipients: tuple[str, ...]
    subject: str | None
    state: str
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None = None
    next_try: str | None = None
    raw: bytes = b""  # only where the mail is about to be sent

    @classmethod
    def from_sql(cls, row: sqlite3.Row) -> OutboxRow:
        names = set(row.keys())
        plain = {f.name: row[f.name] for f in fields(cls) if f.name in names}
        plain["recipients"] = _json_list(row["recipients"])
        return cls(**plain)


@dataclass(frozen=True)
class PickRow:
    """The office's choice of a unit or an activity to commend (``kind``: unit | activity)."""

    kind: str
    target: str  # unit_id, or reporting.shortlist.activity_key
    label: str | None
    actor: str
    picked_at: str

    @classmethod
    def from_sql(cls, row: sqlite3.Row) -> PickRow:
        return cls(row["kind"], row["target"], row["label"], row["actor"], row["picked_at"])


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str
    actor: str
    action: str
    target: str | None
    detail: str | None
    outcome: str | None
    ok: bool

    @classmethod
    def from_sql(cls, row: sqlite3.Row) -> AuditRow:
        return cls(row["id"], row["at"], row["actor"], row["action"], row["target"], row["detail"], row["outcome"],
                   bool(row["ok"]))
