"""The admins' daily digest: where the campaign stands and what needs a person.

Built from the same dataset as the export, so its counts always match the attached workbook.
Sections: totals and days left; progress by category (units submitted / expected, activities
reported / required) with a chart inline by Content-ID; new since the last digest; units not yet
submitted (with their addresses); units below quota; late submissions; what needs review, each
with its reason and the command that settles it; mail a person wrote that is not a submission;
reminders sent; outgoing mail that failed. ``as_of`` gives the state at the end of that day.
"""
from __future__ import annotations

import logging
import tempfile
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from outbox.compose import Draft, compose, to_wire
from outbox.render import render
from outbox.smtp import FolderTransport
from pipeline.config import CATEGORIES
from pipeline.judge.trust import AUTH_FLAG, SENDER_FLAG
from pipeline.ledger.records import Outgoing
from pipeline.ledger.rows import MessageRow
from pipeline.ledger.store import Store
from pipeline.outbound.reminders import reminders_between
from pipeline.reporting.chart import SHORT_LABELS
from pipeline.reporting.review_queue import console_url, questions, review_items
from pipeline.reporting.wording import STATUS_CN, cn_date, short_time
from pipeline.reporting.workbook import write_workbook

if TYPE_CHECKING:
    from pipeline.runtime.app import Pipeline  # the floor above: for the type only

log = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_CID = "progress-chart@summary-mailbox"
OUTBOX_PROBLEM_CN = {"failed": "发送失败", "unconfirmed": "未确认是否送达（请人工核实，系统不会自动重发）",
                     "suppressed": "超过每人每日自动回复上限，未发送"}


def _parse(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _submission_days(data: dict) -> Counter[date]:
    return Counter(date.fromisoformat(m["received_at"][:10]) for m in data["messages"]
                   if m["status"] != "ignored" and m["received_at"])


def submissions_per_day(data: dict, first: date, last: date) -> list[tuple[date, int]]:
    """Submissions per day from ``first`` to ``last`` (the campaign's period so far); mail dated outside
    is left out (``outside_period`` counts it), so one correction in December does not squash September."""
    counts = _submission_days(data)
    if first > last:
        return []
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
            for i in range((last - first).days + 1)]


def outside_period(data: dict, first: date, last: date) -> str:
    """The chart's note on submissions dated before ``first`` or after ``last``: '期后收到2封' or ''."""
    counts = _submission_days(data)
    before = sum(n for day, n in counts.items() if day < first)
    after = sum(n for day, n in counts.items() if day > last)
    parts = ([f"期前收到{before}封"] if before else []) + ([f"期后收到{after}封"] if after else [])
    return "，".join(parts) + ("（未画入）" if parts else "")


def category_progress(units: list[dict]) -> list[dict]:
    """Per category: units expected, submitted and met, activities reported against required."""
    categories = []
    for code, label in CATEGORIES.items():
        mine = [u for u in units if u["category"] == code]
        if mine:
            expected, submitted = len(mine), sum(u["submitted"] for u in mine)
            categories.append(dict(code=code, label=label, short=SHORT_LABELS.get(code, label),
                                   expected=expected, submitted=submitted,
                                   met=sum(u["met"] for u in mine), reported=sum(u["reported"] for u in mine),
                                   required=sum(u["required"] for u in mine),
                                   pct=round(100 * submitted / expected) if expected else 0))
    return categories


def _new_messages(data: dict, ledger: Mapping[str, MessageRow], names: dict, *, since: datetime,
                  cutoff: datetime, by_arrival: bool) -> list[dict]:
    """Submissions and questions that arrived in the window, each with its activity count."""
    per_message = Counter(a["message_id"] for a in data["activities"])
    new = []
    for m in data["messages"]:
        row = ledger.get(m["message_id"])
        if row is None or (m["status"] == "ignored" and row.kind != "question"):
            continue
        moment = _parse(row.first_seen_at) if by_arrival else _parse(m["received_at"])
        if moment is None or not (since < moment <= cutoff):
            continue
        status = "来信咨询" if row.kind == "question" else STATUS_CN.get(m["status"], m["status"])
        new.append(dict(when=short_time(m["received_at"]), unit=names.get(m["unit_id"]) or m["sender"],
                        subject=m["subject"], status=status, activities=per_message[m["message_id"]],
                        late=m["late"]))
    return new


def _undelivered(store: Store) -> list[dict]:
    return [dict(to=", ".join(r.recipients), subject=r.subject,
                 error=f"{OUTBOX_PROBLEM_CN.get(r.state, r.state)}：{r.last_error or ''}")
            for r in store.outbox_problems()]


def _trust_items(data: dict, ledger: Mapping[str, MessageRow], names: dict, store: Store) -> list[dict]:
    """Submissions whose sender could not be vouched for (pipeline/judge/trust.py), and what became of them."""
    noticed = {r.message_key for r in store.outbox() if r.kind == "notice"}
    items = []
    for m in data["messages"]:
        row = ledger.get(m["message_id"])
        if row is None or m["status"] == "ignored":
            continue
        flags = [n for n in row.notes if n.startswith((SENDER_FLAG, AUTH_FLAG))]
        if not flags:
            continue
        if m["status"] == "needs_review" and m["unit_id"]:
            flags.append("待人工确认，未替换该单位原有数据")
        if row.key in noticed:
            flags.append("已通知该单位登记邮箱")
        items.append(dict(when=short_time(m["received_at"]), sender=m["sender"], subject=m["subject"],
                          unit=names.get(m["unit_id"] or ""), flags="；".join(flags)))
    return items


def _late_units(data: dict) -> list[dict]:
    """Late units with the time of their first submission, which is what made them late."""
    first: dict[str, str] = {}
    for m in data["messages"]:
        if m["unit_id"] and m["status"] != "ignored" and m["received_at"]:
            first[m["unit_id"]] = min(first.get(m["unit_id"], m["received_at"]), m["received_at"])
    return [dict(name=u["name"], when=short_time(first.get(u["unit_id"])))
            for u in data["units"] if u["late"]]


def _activity_totals(activities: list[dict]) -> dict:
    return dict(activities=len(activities),
                participants=sum(a["participants"] or 0 for a in activities),
                online=sum(a.get("participants_online") or 0 for a in activities),
                offline=sum(a.get("participants_offline") or 0 for a in activities),
                with_split=sum(1 for a in activities if "participants_online" in a))


def digest_context(pipeline: Pipeline, data: dict, today: date, *, since: datetime, cutoff: datetime,
                   by_arrival: bool) -> dict:
    """Everything the templates show. ``since``/``cutoff`` bound "new since the last digest": by the
    time the pipeline first saw a message (``by_arrival``, the scheduled digest) or by its date."""
    config, registry, store = pipeline.config, pipeline.registry, pipeline.store
    deadline = config.campaign.deadline
    units = data["units"]
    names = {u["unit_id"]: u["name"] for u in units}
    emails = {u.unit_id: "、".join(u.emails) for u in registry.units}
    ledger = {r.ident: r for r in store.messages()}  # the export's rows, keyed alike
    review = review_items(pipeline, data)
    first_reminder_day = since.astimezone(config.campaign.tz).date() + timedelta(days=1) if by_arrival else today
    return dict(
        campaign=config.campaign.name, today=cn_date(today), deadline=cn_date(deadline),
        days_left=(deadline - today).days,
        total_units=len(units), submitted=sum(u["submitted"] for u in units), met=sum(u["met"] for u in units),
        late_count=sum(u["late"] for u in units),
        messages=len(data["messages"]),
        categories=category_progress(units),
        new=_new_messages(data, ledger, names, since=since, cutoff=cutoff, by_arrival=by_arrival),
        missing=[dict(name=u["name"], category=CATEGORIES.get(u["category"], u["category"]),
                      emails=emails.get(u["unit_id"], "")) for u in units if not u["submitted"]],
        short=[dict(name=u["name"], reported=u["reported"], required=u["required"],
                    missing=u["required"] - u["reported"]) for u in units if u["submitted"] and not u["met"]],
        late=_late_units(data),
        review=[dict(when=short_time(i.received_at), sender=i.sender, subject=i.subject, reason=i.reason,
                     unit=names.get(i.unit_id or ""), advice=i.advice, commands=i.commands) for i in review],
        review_items=review,
        questions=[dict(q, when=short_time(q["received_at"])) for q in questions(pipeline, today)],
        reminders=reminders_between(store, registry, first_reminder_day, today),
        failed=_undelivered(store),
        trust=_trust_items(data, ledger, names, store),
        **_activity_totals(data["activities"]),
        new_window="上次汇总以来" if by_arrival else f"{today.month}月{today.day}日",
        console_url=console_url(config),
        season_end=season_end_context(pipeline, today, data) if today > deadline else None,
    )


def season_end_context(pipeline: Pipeline, today: date, data: dict) -> dict:
    """After the deadline the digest leads with the season's end: the report draft, the shortlist, and
    the mail that came after the deadline (late first submissions and corrections). ``data``: the digest's
    dataset as of ``today``, not made a second time."""
    from pipeline.reporting.review_queue import program
    from pipeline.reporting.season import after_deadline, load_season

    config = pipeline.config
    season = load_season(config, pipeline.registry, pipeline.store, today, data=data)
    url = console_url(config)
    return dict(days=(today - config.campaign.deadline).days,
                report_url=f"{url}report.docx" if url else None, shortlist_url=f"{url}shortlist" if url else None,
                report_command=f"{program(config)} report --out 科普月活动总结.docx",
                top=[dict(name=c.name, total=c.total) for c in season.shortlist.units[:3]],
                picked=len(season.picks.units) + len(season.picks.activities),
                late=[dict(m, when=short_time(m["received_at"], config.campaign.tz)) for m in after_deadline(season)],
                narratives=len(season.narratives))


def build_digest(pipeline: Pipeline, as_of: date | None, dedupe: str, *, now: datetime | None = None,
                 since: datetime | None = None) -> tuple[Outgoing, dict]:
    """The digest mail and its context. With ``as_of`` the state at the end of that day; otherwise now.
    ``since``: when the previous digest was built (new mail is counted from then)."""
    config = pipeline.config
    tz = config.campaign.tz
    now = (now or datetime.now(timezone.utc)).astimezone(tz)
    today = as_of or now.date()
    if since is not None:  # the scheduled digest: what reached the ledger since the last one
        cutoff, by_arrival = now, True
    else:  # a given day: what is dated that day
        since = datetime.combine(today, time.min, tz)
        cutoff, by_arrival = since + timedelta(days=1), False
    data = pipeline.dataset(today)
    context = digest_context(pipeline, data, today, since=since, cutoff=cutoff, by_arrival=by_arrival)
    chart = None
    try:
        from pipeline.reporting.chart import progress_chart

        first, last = config.campaign.period[0], min(today, config.campaign.period[1])
        chart = progress_chart(context["categories"], submissions_per_day(data, first, last),
                               note=outside_period(data, first, last))
    except Exception:  # a missing plotting library must not cost the admins their digest
        log.exception("digest chart could not be drawn; the digest goes without it")
    context["chart_cid"] = CHART_CID if chart else None
    text, html = render("digest", **context)
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "summary.xlsx"
        write_workbook(data, book, review={i.message_id: i for i in context["review_items"]})
        workbook = book.read_bytes()
    subject = (f"【{config.campaign.name}】每日汇总 {context['today']}：已报送 {context['submitted']}/"
               f"{context['total_units']}，待核查 {len(context['review'])}")
    message = compose(Draft(dedupe=dedupe, sender=config.sender_address, sender_name="唐山市素质办（自动汇总）",
                      to=config.admins or [config.sender_address], subject=subject, text=text, html=html,
                      auto_submitted="auto-generated",
                      inline_images=[(CHART_CID, chart, "png")] if chart else [],
                      attachments=[(f"科普月报送汇总_{today:%Y%m%d}.xlsx", workbook, XLSX_TYPE)]))
    return Outgoing("digest", dedupe, list(config.admins), subject, to_wire(message)), context


def send_digest(pipeline: Pipeline, as_of: date | None, *, dry_run: bool = False, scheduled: bool = False,
                now: datetime | None = None) -> str:
    """Build the digest and send it to the admins (or, with ``dry_run`` or no admins, write it to
    ``data_dir/digests``). The scheduled one is sent once per day (outbox dedupe ``digest:<day>``)
    and counts new mail from the previous scheduled digest."""
    config = pipeline.config
    now = now or datetime.now(timezone.utc)
    today = as_of or now.astimezone(config.campaign.tz).date()
    since = None
    if scheduled:
        last = pipeline.store.last_digest_at()
        since = last if last and last < now else now - timedelta(days=1)
    stamp = "" if scheduled else f":{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"
    outgoing, _ = build_digest(pipeline, as_of, f"digest:{today.isoformat()}{stamp}", now=now, since=since)
    if dry_run or not config.admins:
        folder = config.data_dir / "digests"
        path = FolderTransport(folder).send(config.sender_address, outgoing.recipients or [config.sender_address],
                                            outgoing.raw, name=f"digest-{today.isoformat()}")
        return f"digest written to {path}" + ("" if config.admins else " (no admins configured)")
    queued = pipeline.store.enqueue(outgoing)
    if scheduled and queued:
        pipeline.store.set_last_digest_at(now.astimezone(timezone.utc))
    report = pipeline.flush_outbox()
    return (f"digest for {today} queued for {', '.join(config.admins)}; sent {report.sent}" if queued
            else f"digest for {today} was already sent")
