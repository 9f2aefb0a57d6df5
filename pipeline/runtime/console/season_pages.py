"""The console's season-end pages: the commendation shortlist (tick and download), the units' narratives
gathered (典型案例, 意见建议 by theme), the report draft; and what the overview and a unit's page show of them.

Module-level views on the console's Blueprint, apart from ``views.py``; ``TEMPLATE_GLOBALS`` is what the
overview's and a unit's templates call.
"""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from pipeline.admin.actions import perform
from pipeline.admin.review import ReviewError
from pipeline.config import CATEGORIES
from pipeline.reporting.narratives import KIND_CN, UnitNarrative, cases, group_suggestions, unit_narratives
from pipeline.reporting.season import Season, after_deadline, load_season
from pipeline.reporting.wording import cn_date, cn_datetime
from pipeline.runtime.console.blueprint import actor, bp, exclusive, pipeline
from pipeline.runtime.console.state import state

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _now() -> datetime:
    return datetime.now(state().config.campaign.tz)


def _season() -> Season:
    p = pipeline()
    return load_season(p.config, p.registry, p.store, data=p.dataset())


@bp.route("/shortlist")
def shortlist_page() -> str:
    season = _season()
    return render_template("shortlist.html", s=season.shortlist, picks=season.picks, page="shortlist",
                           categories_cn=CATEGORIES)


@bp.route("/shortlist", methods=["POST"])
@exclusive
def shortlist_save() -> BaseResponse:
    """The ticked boxes against the stored picks: each change is one audited action."""
    p = pipeline()
    season = _season()
    wanted = {("unit", t) for t in request.form.getlist("unit")} | \
             {("activity", t) for t in request.form.getlist("activity")}
    shown = {("unit", c.unit_id) for c in season.shortlist.units} | \
            {("activity", c.key) for c in season.shortlist.activities}
    added = removed = 0
    errors = []
    for kind, target in sorted(wanted - season.picks.chosen):
        try:
            perform(p, actor(), "pick", target, kind, by=actor())
            added += 1
        except ReviewError as exc:
            errors.append(str(exc))
    for kind, target in sorted((season.picks.chosen & shown) - wanted):  # a pick no longer listed stays
        try:
            perform(p, actor(), "unpick", target, kind)
            removed += 1
        except ReviewError as exc:
            errors.append(str(exc))
    flash(f"已保存拟表扬名单：选入{added}个，移出{removed}个。", "ok")
    for error in errors:
        flash(f"未完成：{error}", "error")
    return redirect(url_for("console.shortlist_page"))


@bp.route("/shortlist.xlsx")
def shortlist_xlsx() -> Response:
    from pipeline.reporting.shortlist_book import write_shortlist
    from pipeline.runtime.console.views import _download

    with tempfile.TemporaryDirectory() as tmp:
        body = write_shortlist(_season(), Path(tmp) / "shortlist.xlsx").read_bytes()
    return _download(body, f"拟表扬名单_{_now():%Y%m%d}.xlsx", XLSX_TYPE)


@bp.route("/report.docx")
def report_docx() -> Response:
    from pipeline.reporting.report import write_report
    from pipeline.runtime.console.views import _download

    with tempfile.TemporaryDirectory() as tmp:
        path = write_report(_season(), Path(tmp) / "report.docx", today_cn=cn_datetime(_now()))
        body = path.read_bytes()
    return _download(body, f"科普月活动总结草稿_{_now():%Y%m%d}.docx", DOCX_TYPE)


@bp.route("/narratives")
def narratives_page() -> str:
    p = pipeline()
    data = p.dataset()
    narratives = unit_narratives(data, p.store.messages())
    return render_template("narratives.html", cases=cases(narratives), groups=group_suggestions(narratives),
                           with_narrative=len(narratives), submitted=sum(u["submitted"] for u in data["units"]),
                           page="narratives")


def unit_narrative(unit_id: str) -> UnitNarrative | None:
    """For a unit's page (a template global, so views.py's unit view stays as it is)."""
    p = pipeline()
    return unit_narratives(p.dataset(), p.store.messages()).get(unit_id)


def season_end() -> dict | None:
    """For the overview once the deadline has passed: the report, the shortlist, mail after the deadline."""
    config = state().config
    today = _now().date()
    if today <= config.campaign.deadline:
        return None
    season = _season()
    return dict(days=(today - config.campaign.deadline).days, deadline=cn_date(config.campaign.deadline),
                late=after_deadline(season), top=season.shortlist.units[:3], picks=season.picks,
                narratives=len(season.narratives))


TEMPLATE_GLOBALS = dict(unit_narrative=unit_narrative, season_end=season_end, kind_cn=KIND_CN)
