"""The review page's proposals: rows read from prose or scans, shown beside what they were read from, with
editable cells and the two decisions 确认计入 / 不计入. Kept apart from ``views.py`` (its own view function
on the console's Blueprint and template, ``proposals.html``, included by ``review.html``).
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from pipeline.admin.actions import ACTION_CN, perform
from pipeline.admin.review import ReviewError, find_message
from pipeline.runtime.console.blueprint import actor, bp, exclusive, pipeline
from pipeline.runtime.console.page_images import known_failure, page_url

CELLS = ("title", "date", "location", "format", "participants")  # what the page lets a person correct
FORMAT_CN = {"online": "线上", "offline": "线下", "hybrid": "线上线下"}
DONE_CN = {"confirm_proposals": "这些活动现在计入该单位，导出和汇总表随之更新。",
           "reject_proposals": "这些活动不计入该单位。"}


def page_image(key: str, row: dict) -> dict | None:
    """The page a row read from a scan or photo sits on: its image URL, the words naming it, and why it
    cannot be shown when an earlier request found out. None for rows read from prose (their paragraph,
    ``evidence``, is shown instead)."""
    url = page_url(key, row.get("page_file"), row.get("page_no"))
    if url is None:
        return None
    where = (row.get("source") or "").rsplit("第", 1)[0] or f"第{row['page_no']}页"
    return dict(url=url, file=row["page_file"], where=where,
                failed=known_failure(key, row["page_file"], row["page_no"]))


def page_groups(rows: list[dict]) -> list[dict]:
    """Consecutive rows read from the same page, shown beside that page once; rows from prose one by one."""
    groups: list[dict] = []
    for row in rows:
        image = row["image"]
        if image and groups and groups[-1]["image"] and groups[-1]["image"]["url"] == image["url"]:
            groups[-1]["rows"].append(row)
        else:
            groups.append(dict(image=image, rows=[row]))
    return groups


def cells(row) -> dict[str, str]:
    """A proposed row as the page shows it in its editable cells (the same text the edits are read from)."""
    start, end = row["start_date"] or "", row["end_date"] or ""
    when = start if not end or end == start else f"{start}至{end}"
    return {"title": row["title"] or "", "date": when, "location": row["location"] or "",
            "format": FORMAT_CN.get(row["format"] or "", ""),
            "participants": "" if row["participants"] is None else str(row["participants"])}


def proposals_for(key: str) -> list[dict]:
    """The rows waiting for a decision on this message (none once it was decided)."""
    store = pipeline().store
    if key in store.proposal_decisions():
        return []
    return [dict(number=i, cells=cells(r), source=r["source"] or "", evidence=r["evidence"] or "",
                 confidence=r["confidence"], image=page_image(key, dict(r)))
            for i, r in enumerate(store.proposals([key]), 1)]


def edits_from_form(key: str, form) -> tuple[list[str], list[int]]:
    """The cells a person changed, as ``review confirm --set`` would take them, and the rows unticked."""
    edits, drop = [], []
    for row in proposals_for(key):
        n = row["number"]
        if not form.get(f"keep-{n}"):
            drop.append(n)
        for name in CELLS:
            typed = " ".join(form.get(f"cell-{n}-{name}", row["cells"][name]).split())
            if typed != row["cells"][name]:
                edits.append(f"{n}.{name}={typed}")
    return edits, drop


TEMPLATE_GLOBALS = dict(proposals_for=proposals_for, page_groups=page_groups)


@bp.route("/review/proposals/<action>", methods=["POST"])
@exclusive
def proposals_action(action: str) -> BaseResponse:
    if action not in ("confirm", "reject"):
        abort(404)
    ident = request.form.get("message", "")
    name = f"{action}_proposals"
    p = pipeline()
    try:
        if action == "confirm":
            key = find_message(p.store, ident).key
            edits, drop = edits_from_form(key, request.form)
            outcome = perform(p, actor(), name, ident, edits=edits, drop=drop)
        else:
            outcome = perform(p, actor(), name, ident, request.form.get("reason", ""))
    except ReviewError as exc:
        flash(f"{ACTION_CN[name]}未完成：{exc}", "error")
    else:
        flash(f"{ACTION_CN[name]}：{DONE_CN[name]}", "ok")
        flash(outcome, "detail")
    return redirect(url_for("console.review_page"))
