"""The console's actions: each calls ``actions.perform``, the command line's code, which records who did what."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from pipeline import failures
from pipeline.admin.actions import ACTION_CN, perform
from pipeline.admin.review import ReviewError
from pipeline.runtime.console.blueprint import actor, bp, exclusive, pipeline
from pipeline.runtime.console.jobs import ReingestJob, start_reingest
from pipeline.runtime.console.state import state

DONE_CN = {"assign": "已归属到{unit}：该发件地址今后的来信自动归属，邮件已重新处理。",
           "dismiss": "已排除：该邮件今后显示为“非报送”，可在下方“已排除”中恢复。",
           "restore": "已恢复：该邮件重新按程序的结论计入。", "reprocess": "已重新处理。",
           "confirm": "已标记为送达。", "resend": "已重新发送（或已排队，下一轮发送）。"}


@bp.route("/review/<action>", methods=["POST"])
@exclusive
def review_action(action: str) -> Response:
    form = request.form
    args = {"assign": (form.get("message", ""), _unit_id(form.get("unit", ""))),
            "dismiss": (form.get("message", ""), form.get("reason", "")),
            "reprocess": (form.get("message", ""),), "restore": (form.get("message", ""),)}.get(action)
    if args is None:
        abort(404)
    return _act(action, *args, back=url_for("console.review_page"))


@bp.route("/outbox/<action>", methods=["POST"])
@exclusive
def outbox_action(action: str) -> Response:
    if action not in ("confirm", "resend"):
        abort(404)
    try:
        mail_id = int(request.form.get("id", ""))
    except ValueError:
        abort(400)
    return _act(action, mail_id, back=url_for("console.outbox_page"))


@bp.route("/reingest", methods=["POST"])
def reingest_start() -> Response:
    console = state()
    current = console.jobs.get("reingest")
    if current and current.state in ("waiting", "running"):
        flash("已有一次重新读取在进行。", "error")
        return redirect(url_for("console.reingest_page"))
    try:
        since = date.fromisoformat(request.form.get("since", ""))
        until = date.fromisoformat(request.form.get("until", ""))
    except ValueError:
        flash("请填写起止日期（如 2025-09-01）。", "error")
        return redirect(url_for("console.reingest_page"))
    if since > until:
        flash("开始日期不能晚于结束日期。", "error")
        return redirect(url_for("console.reingest_page"))
    job = ReingestJob(since.isoformat(), until.isoformat(), bool(request.form.get("from_archive")), actor())
    console.jobs["reingest"] = job
    start_reingest(console.config, console.action_lock, job, since, until)
    flash(f"已开始重新读取 {since} 至 {until} 的邮件（不会重复发送回执）。", "ok")
    return redirect(url_for("console.reingest_page"))


def _act(action: str, *args: object, back: str) -> Response:
    p = pipeline()
    try:
        outcome = perform(p, actor(), action, *args)
    except ReviewError as exc:
        flash(f"{ACTION_CN[action]}未完成：{exc}", "error")
    except Exception as exc:
        known = failures.explain(exc, p.config, action)  # another process ingesting, a full disk, a locked ledger
        if known is None:
            raise
        flash(f"{ACTION_CN[action]}未完成：{known[1]}", "error")
    else:
        unit = p.registry.get(str(args[1])) if action == "assign" else None
        flash(f"{ACTION_CN[action]}：" + DONE_CN[action].format(unit=unit.name if unit else ""), "ok")
        flash(outcome, "detail")
    return redirect(back)


def _unit_id(text: str) -> str:
    """What the admin typed or picked: a unit's id, or its exact name or alias."""
    text = text.strip()
    registry = pipeline().registry
    if registry.get(text) is not None:
        return text
    return next((u.unit_id for u in registry.units if text in u.names), text)
