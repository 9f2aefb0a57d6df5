"""The sample set and its ground truth.

A ``SampleSet`` is what the generator hands out: the units registry, the mails in
arrival order and, for every mail, what a correct pipeline must conclude about it.
The derived views (``expected_current``, ``expected_units``) follow CONTRACT.md.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

QUOTAS = {"county": 10, "zone": 5, "member": 3, "society": 2, "enterprise_sa": 2,
          "college_sa": 2, "base": 1, "project": 1}

CASES = ("docx_xlsx", "xlsx_only", "docx_table", "docx_only_prose", "zip_gbk", "forwarded",
         "forwarded_inline", "no_attachment", "auto_reply", "bounce", "resubmission", "late",
         "personal_sender", "question", "unrelated", "own_mail", "unknown_unit", "pdf_scan",
         "xls_legacy_name")

STATUSES = ("accepted", "superseded", "needs_review", "ignored")


@dataclass
class Unit:
    unit_id: str
    name: str
    category: str
    aliases: list[str]
    emails: list[str]


@dataclass
class ExpectedActivity:
    title: str
    start_date: date
    end_date: date
    location: str | None
    format: str | None  # online | offline | hybrid | None
    participants: int | None


@dataclass
class MailTruth:
    case: str
    status: str  # accepted | superseded | needs_review | ignored
    unit_id: str | None
    acked: bool
    late: bool
    carries_list: bool
    activities: list[ExpectedActivity] = field(default_factory=list)
    carries_narrative: bool = False  # a Word report with the summary sections
    note: str = ""  # what makes this mail what it is, for people reading test failures


@dataclass
class SampleMail:
    raw: bytes
    message_id: str
    received: datetime  # aware, Asia/Shanghai
    truth: MailTruth


@dataclass
class SampleSet:
    units: list[Unit]
    mails: list[SampleMail]  # in arrival order
    mailbox_addr: str
    admin_addrs: list[str]
    quotas: dict[str, int] = field(default_factory=lambda: dict(QUOTAS))
    seed: int = 0

    def units_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["unit_id", "name", "category", "aliases", "emails"])
        for u in self.units:
            writer.writerow([u.unit_id, u.name, u.category, ";".join(u.aliases), ";".join(u.emails)])
        return out.getvalue()

    def expected_current(self) -> dict[str, list[ExpectedActivity]]:
        """unit_id -> activities of the newest accepted mail of the unit carrying a list.

        Units without such a mail are absent.
        """
        current: dict[str, list[ExpectedActivity]] = {}
        for mail in self.mails:  # arrival order: later ones overwrite
            t = mail.truth
            if t.status == "accepted" and t.carries_list and t.unit_id:
                current[t.unit_id] = list(t.activities)
        return current

    def expected_units(self) -> dict[str, dict]:
        """unit_id -> {submitted, late, reported, required, met} for every unit."""
        current = self.expected_current()
        first_submission: dict[str, MailTruth] = {}
        for mail in self.mails:
            t = mail.truth
            if t.status != "ignored" and t.unit_id and t.unit_id not in first_submission:
                first_submission[t.unit_id] = t
        result = {}
        for u in self.units:
            required = self.quotas[u.category]
            reported = len(current.get(u.unit_id, []))
            first = first_submission.get(u.unit_id)
            result[u.unit_id] = {
                "submitted": first is not None,
                "late": bool(first and first.late),
                "reported": reported,
                "required": required,
                "met": reported >= required,
            }
        return result

    def by_case(self) -> dict[str, list[SampleMail]]:
        groups: dict[str, list[SampleMail]] = {}
        for mail in self.mails:
            groups.setdefault(mail.truth.case, []).append(mail)
        return groups
