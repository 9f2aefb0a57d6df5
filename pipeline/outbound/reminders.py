"""Opt-in reminders before the deadline (``reminders.days_before: [3, 1]``).

On each listed day (counted back from ``campaign.deadline`` in the campaign's time zone), each
registered unit that has not submitted gets one polite reminder at its registered addresses; a
unit that submitted but reported fewer activities than its quota gets one note saying what is
missing (once). The outbox's unique dedupe key (``reminder:<unit>:<day>``, ``shortfall:<unit>:<day>``,
the latter skipped once any exists for the unit) makes them once-only, also across restarts; a unit that has submitted gets no reminder.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from outbox.compose import Draft, compose, to_wire
from outbox.render import render
from pipeline.campaign.registry import Registry, Unit
from pipeline.config import CATEGORIES, Config
from pipeline.ledger.records import Outgoing
from pipeline.ledger.store import Store
from pipeline.reporting.wording import OFFICE, cn_date

if TYPE_CHECKING:
    from pipeline.runtime.app import Pipeline  # the floor above: for the type only

log = logging.getLogger(__name__)


@dataclass
class ReminderReport:
    day: date
    queued: int = 0
    already: int = 0
    no_address: list[str] = field(default_factory=list)

    def line(self) -> str:
        extra = f"; {len(self.no_address)} unit(s) without a registered address" if self.no_address else ""
        return f"reminders for {self.day}: {self.queued} queued, {self.already} already sent{extra}"


def reminder_mail(config: Config, unit: Unit, kind: str, day: date, *, reported: int = 0, required: int = 0) -> Outgoing:
    deadline = config.campaign.deadline
    days_left = (deadline - day).days
    dedupe = f"{'reminder' if kind == 'missing' else 'shortfall'}:{unit.unit_id}:{day.isoformat()}"
    context = dict(kind=kind, unit_name=unit.name, office=OFFICE, campaign=config.campaign.name,
                   deadline=cn_date(deadline), days_left=days_left, mailbox=config.sender_address,
                   category=CATEGORIES.get(unit.category, unit.category), reported=reported, required=required,
                   missing=max(0, required - reported), today=cn_date(day))
    text, html = render("reminder", **context)
    if kind == "missing":
        subject = f"【提醒】请于{deadline.month}月{deadline.day}日前报送{config.campaign.name}活动总结（{unit.name}）"
    else:
        subject = f"【提醒】{unit.name}{config.campaign.name}重点活动数尚差{max(0, required - reported)}项"
    message = compose(Draft(dedupe=dedupe, sender=config.sender_address, sender_name=f"{OFFICE}（自动提醒）",
                      to=list(unit.emails), subject=subject, text=text, html=html, auto_submitted="auto-generated"))
    return Outgoing("reminder", dedupe, list(unit.emails), subject, to_wire(message))


def due_day(config: Config, today: date) -> bool:
    return (config.campaign.deadline - today).days in config.reminders.days_before


def send_reminders(pipeline: Pipeline, today: date, *, flush: bool = True) -> ReminderReport:
    """Queue today's reminders (if today is a reminder day) and send them within the sending limits."""

    config = pipeline.config
    report = ReminderReport(today)
    if not due_day(config, today):
        return report
    data = pipeline.dataset()
    noted = {r.dedupe.split(":")[1] for r in pipeline.store.outbox() if r.dedupe.startswith("shortfall:")}
    for progress in data["units"]:
        unit = pipeline.registry.get(progress["unit_id"])
        if unit is None:
            continue
        if not progress["submitted"]:
            kind = "missing"
        elif not progress["met"]:
            kind = "short"
        else:
            continue
        if not unit.emails:
            report.no_address.append(unit.name)
            continue
        if kind == "short" and unit.unit_id in noted:  # the shortfall note goes once
            report.already += 1
            continue
        mail = reminder_mail(config, unit, kind, today, reported=progress["reported"], required=progress["required"])
        if pipeline.store.enqueue(mail):
            report.queued += 1
        else:
            report.already += 1
    if flush and report.queued:
        pipeline.flush_outbox()
    log.info("%s", report.line())
    return report


STATE_CN = {"sent": "已发送", "pending": "待发送", "sending": "发送中", "failed": "发送失败",
            "unconfirmed": "未确认送达", "suppressed": "超过每日上限未发", "withdrawn": "已撤回（单位已报送）"}


def reminders_between(store: Store, registry: Registry, first: date, last: date) -> list[dict]:
    """Reminders of the days first..last (inclusive), for the digest."""
    out = []
    for row in store.outbox():
        parts = row.dedupe.split(":")
        if row.kind != "reminder" or len(parts) != 3:
            continue
        try:
            day = date.fromisoformat(parts[2])
        except ValueError:
            continue
        if not first <= day <= last:
            continue
        unit = registry.get(parts[1])
        out.append(dict(unit=unit.name if unit else parts[1],
                        kind="未报送提醒" if parts[0] == "reminder" else "活动数不足提醒",
                        to=", ".join(row.recipients), state=STATE_CN.get(row.state, row.state),
                        sent=row.state == "sent", day=day))
    return out


