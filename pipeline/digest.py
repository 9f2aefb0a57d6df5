"""The admins' daily digest: where the campaign stands and what needs a person.

Built from the same dataset as the export, so its counts always match the attached workbook.
"""
from __future__ import annotations

import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from outbox.compose import compose, to_wire
from outbox.render import render
from outbox.smtp import FolderTransport

from .config import CATEGORIES
from .export import dataset
from .records import Outgoing
from .workbook import write_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def digest_context(data: dict, registry, today: date, deadline: date, store_rows) -> dict:
    units = data["units"]
    categories = []
    for code, label in CATEGORIES.items():
        mine = [u for u in units if u["category"] == code]
        if mine:
            categories.append(dict(label=label, expected=len(mine), submitted=sum(u["submitted"] for u in mine),
                                   met=sum(u["met"] for u in mine), reported=sum(u["reported"] for u in mine),
                                   required=sum(u["required"] for u in mine)))
    emails = {u.unit_id: "、".join(u.emails) for u in registry.units}
    messages = data["messages"]
    questions = [r for r in store_rows if r["kind"] == "question"]
    activities = data["activities"]
    return dict(
        today=f"{today.year}年{today.month}月{today.day}日", days_left=(deadline - today).days,
        deadline=f"{deadline.year}年{deadline.month}月{deadline.day}日",
        total_units=len(units), submitted=sum(u["submitted"] for u in units), met=sum(u["met"] for u in units),
        categories=categories,
        missing=[dict(name=u["name"], emails=emails.get(u["unit_id"], "")) for u in units if not u["submitted"]],
        short=[u for u in units if u["submitted"] and not u["met"]],
        late=[u for u in units if u["late"]],
        review=[m for m in messages if m["status"] == "needs_review"],
        questions=[dict(sender=q["sender"], subject=q["subject"], excerpt=(q["excerpt"] or "")[:150]) for q in questions],
        activities=len(activities),
        participants=sum(a["participants"] or 0 for a in activities),
        online=sum(a.get("participants_online") or 0 for a in activities),
        offline=sum(a.get("participants_offline") or 0 for a in activities),
    )


def build_digest(pipeline, as_of: date | None, dedupe: str) -> Outgoing:
    config = pipeline.config
    today = as_of or datetime.now(config.campaign.tz).date()
    data = dataset(config, pipeline.registry, pipeline.store, as_of)
    context = digest_context(data, pipeline.registry, today, config.campaign.deadline, pipeline.store.messages())
    text, html = render("digest", campaign=config.campaign.name, **context)
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "summary.xlsx"
        write_workbook(data, book)
        workbook = book.read_bytes()
    subject = f"【{config.campaign.name}】每日汇总 {context['today']}：已报送 {context['submitted']}/{context['total_units']}"
    message = compose(dedupe=dedupe, sender=config.sender_address, sender_name="唐山市素质办（自动汇总）",
                      to=config.admins, subject=subject, text=text, html=html, auto_submitted="auto-generated",
                      attachments=[(f"科普月报送汇总_{today:%Y%m%d}.xlsx", workbook, XLSX_TYPE)])
    return Outgoing("digest", dedupe, list(config.admins), subject, to_wire(message))


def send_digest(pipeline, as_of: date | None, *, dry_run: bool = False, scheduled: bool = False) -> str:
    config = pipeline.config
    today = as_of or datetime.now(config.campaign.tz).date()
    stamp = "" if scheduled else f":{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"
    outgoing = build_digest(pipeline, as_of, f"digest:{today.isoformat()}{stamp}")
    if dry_run or not config.admins:
        folder = config.data_dir / "digests"
        path = FolderTransport(folder).send(config.sender_address, outgoing.recipients, outgoing.raw,
                                            name=f"digest-{today.isoformat()}")
        return f"digest written to {path}" + ("" if config.admins else " (no admins configured)")
    queued = pipeline.store.enqueue(outgoing)
    report = pipeline.flush_outbox()
    return (f"digest for {today} queued for {', '.join(config.admins)}; sent {report.sent}" if queued
            else f"digest for {today} was already sent")
