"""The console's pages and actions. Pages read the same dataset as the export and the digest;
actions call ``actions.perform``, the command line's code, which records who did what."""
from __future__ import annotations

import json
import mimetypes
import tempfile
import threading
from datetime import date, datetime, time, timezone
from pathlib import Path
from urllib.parse import quote as url_quote

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for

from pipeline import failures
from pipeline.admin.actions import ACTION_CN, perform
from pipeline.admin.review import ReviewError, questions, review_items
from pipeline.config import CATEGORIES
from pipeline.outbound.digest import category_progress, digest_context, outside_period, submissions_per_day
from pipeline.reporting.export import dataset
from pipeline.reporting.wording import STATUS_CN, short_time
from pipeline.reporting.workbook import write_workbook
from pipeline.runtime.console.jobs import ReingestJob, start_reingest
from pipeline.runtime.console.season_pages import register_season
from pipeline.runtime.console.web import actor, exclusive, pipeline, settings, worker_alive

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTBOX_STATE_CN = {"failed": "发送失败", "unconfirmed": "未确认是否送达", "suppressed": "超过每日上限未发送"}
KIND_CN = {"ack": "回执", "digest": "每日汇总", "reminder": "提醒"}
_chart_lock = threading.Lock()  # matplotlib's pyplot is not thread-safe


def _now():
    return datetime.now(settings()["config"].campaign.tz)


def _local(value: str | None) -> str:
    """An ISO time -> '9月20日 10:11' in the campaign's zone."""
    return short_time(value, settings()["config"].campaign.tz)


def _unit_state(u: dict) -> str:
    if not u["submitted"]:
        return "未报送"
    return ("已达标" if u["met"] else f"未达标（差{u['required'] - u['reported']}项）") + ("，逾期报送" if u["late"] else "")


def _keys() -> dict[str, str]:
    """Export message_id -> ledger key (the archive and the downloads go by key)."""
    return {(r["message_id"] or r["key"]): r["key"] for r in pipeline().store.messages()}


def _worker() -> dict:
    config, store = settings()["config"], pipeline().store
    last = store.get_state("last_poll")
    minutes = None
    if last:
        minutes = int((datetime.now(timezone.utc) - datetime.fromisoformat(last)).total_seconds() // 60)
    alive = worker_alive(config.data_dir)
    stale = minutes is None or minutes > 3 * config.schedule.poll_every_minutes + 5
    if alive is False:
        text, ok = "后台程序未运行：请启动 serve（见说明书）", False
    elif stale:
        text, ok = "后台程序在运行，但较长时间没有取信，请检查邮箱连接", False
    else:
        text, ok = "后台程序运行正常", True
    return dict(text=text, ok=ok, last=_local(last), minutes=minutes, report=store.get_state("last_poll_report", ""))


def register(app) -> None:
    app.jinja_env.globals.update(status_cn=STATUS_CN, categories_cn=CATEGORIES, local=_local)
    register_season(app)  # the season-end pages (season_pages.py)

    # -- pages ------------------------------------------------------------------------------------

    @app.route("/")
    def overview():
        p = pipeline()
        now = _now()
        data = dataset(p.config, p.registry, p.store)
        context = digest_context(p, data, now.date(), since=datetime.combine(now.date(), time.min, now.tzinfo),
                                 cutoff=now, by_arrival=False)
        return render_template("overview.html", d=context, worker=_worker(), page="overview",
                               undelivered=len(p.store.outbox_problems()))

    @app.route("/chart.png")
    def chart():
        from pipeline.reporting.chart import progress_chart

        p = pipeline()
        now = _now()
        stamp = (now.date(), *p.store.ledger_version())
        with _chart_lock:  # drawing takes a second or two: the same ledger state gets the same picture
            cached = settings().get("chart")
            if cached is None or cached[0] != stamp:
                data = dataset(p.config, p.registry, p.store)
                period = p.config.campaign.period
                last = min(now.date(), period[1])
                png = progress_chart(category_progress(data["units"]), submissions_per_day(data, period[0], last),
                                     note=outside_period(data, period[0], last))
                settings()["chart"] = cached = (stamp, png)
        return Response(cached[1], mimetype="image/png")

    @app.route("/units")
    def units():
        p = pipeline()
        data = dataset(p.config, p.registry, p.store)
        show = request.args.get("show", "all")
        rows = [dict(u, state=_unit_state(u), category_cn=CATEGORIES.get(u["category"], u["category"]))
                for u in data["units"]]
        wanted = {"missing": lambda u: not u["submitted"], "short": lambda u: u["submitted"] and not u["met"],
                  "late": lambda u: u["late"], "met": lambda u: u["met"]}.get(show, lambda u: True)
        return render_template("units.html", units=[u for u in rows if wanted(u)], show=show, total=len(rows),
                               page="units")

    @app.route("/units/<unit_id>")
    def unit(unit_id: str):
        p = pipeline()
        registered = p.registry.get(unit_id)
        if registered is None:
            abort(404)
        data = dataset(p.config, p.registry, p.store)
        progress = next(u for u in data["units"] if u["unit_id"] == unit_id)
        keys = _keys()
        messages = [dict(m, key=keys.get(m["message_id"], m["message_id"])) for m in data["messages"]
                    if m["unit_id"] == unit_id]
        activities = [a for a in data["activities"] if a["unit_id"] == unit_id]
        return render_template("unit.html", unit=registered, u=dict(progress, state=_unit_state(progress)),
                               messages=messages[::-1], activities=activities, page="units",
                               category_cn=CATEGORIES.get(registered.category, registered.category))

    @app.route("/review")
    def review_page():
        p = pipeline()
        data = dataset(p.config, p.registry, p.store)
        by_id = {m["message_id"]: m for m in data["messages"]}
        keys = _keys()
        items = [dict(item=i, key=keys.get(i.message_id, i.message_id), files=by_id[i.message_id]["files"],
                      unit=p.registry.get(i.unit_id)) for i in review_items(p, data)]
        dismissed_keys = p.store.dismissals()
        dismissed = [dict(m, key=keys[m["message_id"]]) for m in data["messages"]
                     if keys.get(m["message_id"]) in dismissed_keys]
        units = sorted(p.registry.units, key=lambda u: (list(CATEGORIES).index(u.category)
                                                        if u.category in CATEGORIES else 99, u.unit_id))
        return render_template("review.html", items=items, questions=questions(p), dismissed=dismissed,
                               units=units, names={u.unit_id: u.name for u in units}, page="review")

    @app.route("/outbox")
    def outbox_page():
        rows = [dict(r, recipients=", ".join(json.loads(r["recipients"])), state_cn=OUTBOX_STATE_CN.get(r["state"], r["state"]),
                     kind_cn=KIND_CN.get(r["kind"], r["kind"])) for r in pipeline().store.outbox_problems()]
        return render_template("outbox.html", rows=rows, page="outbox")

    @app.route("/log")
    def audit_page():
        rows = [dict(r, action_cn=ACTION_CN.get(r["action"], r["action"])) for r in pipeline().store.audit_log()]
        return render_template("audit.html", rows=rows, page="log")

    @app.route("/reingest")
    def reingest_page():
        period = settings()["config"].campaign.period
        return render_template("reingest.html", job=settings()["jobs"].get("reingest"), period=period, page="reingest")

    @app.route("/reingest/status")
    def reingest_status():
        job = settings()["jobs"].get("reingest")
        return jsonify(job.as_dict() if job else {"state": "none"})

    # -- downloads --------------------------------------------------------------------------------

    @app.route("/workbook.xlsx")
    def workbook():
        p = pipeline()
        data = dataset(p.config, p.registry, p.store)
        review = {i.message_id: i for i in review_items(p, data)}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "summary.xlsx"
            write_workbook(data, path, review=review)
            body = path.read_bytes()
        return _download(body, f"科普月报送汇总_{_now():%Y%m%d}.xlsx", XLSX_TYPE)

    @app.route("/mail/raw")
    def raw_mail():
        row = _row()
        return _download(pipeline().archive.get(row["sha256"]), "原始邮件.eml", "message/rfc822")

    @app.route("/mail/file")
    def mail_file():
        from parsers.mime import parse_message
        from parsers.read_mail import attachment_label
        from parsers.sandbox import SandboxFailure

        row, name = _row(), request.args.get("name", "")
        p = pipeline()
        [envelope] = p.sandbox.run_many([(parse_message, (p.archive.get(row["sha256"]),))])
        if isinstance(envelope, SandboxFailure):
            abort(404)
        labels = [(attachment_label(a.name, a.path), a) for a in envelope.attachments]
        found = next((a for label, a in labels if label == name), None) \
            or next((a for label, a in labels if name.startswith(label + "/")), None)  # a file inside a zip
        if found is None:
            abort(404)
        filename = found.name or "附件"
        return _download(found.data, filename, mimetypes.guess_type(filename)[0] or "application/octet-stream")

    # -- actions ----------------------------------------------------------------------------------

    @app.route("/review/<action>", methods=["POST"])
    @exclusive
    def review_action(action: str):
        form = request.form
        args = {"assign": (form.get("message", ""), _unit_id(form.get("unit", ""))),
                "dismiss": (form.get("message", ""), form.get("reason", "")),
                "reprocess": (form.get("message", ""),), "restore": (form.get("message", ""),)}.get(action)
        if args is None:
            abort(404)
        return _act(action, *args, back=url_for("review_page"))

    @app.route("/outbox/<action>", methods=["POST"])
    @exclusive
    def outbox_action(action: str):
        if action not in ("confirm", "resend"):
            abort(404)
        try:
            mail_id = int(request.form.get("id", ""))
        except ValueError:
            abort(400)
        return _act(action, mail_id, back=url_for("outbox_page"))

    @app.route("/reingest", methods=["POST"])
    def reingest_start():
        state = settings()
        current = state["jobs"].get("reingest")
        if current and current.state in ("waiting", "running"):
            flash("已有一次重新读取在进行。", "error")
            return redirect(url_for("reingest_page"))
        try:
            since = date.fromisoformat(request.form.get("since", ""))
            until = date.fromisoformat(request.form.get("until", ""))
        except ValueError:
            flash("请填写起止日期（如 2025-09-01）。", "error")
            return redirect(url_for("reingest_page"))
        if since > until:
            flash("开始日期不能晚于结束日期。", "error")
            return redirect(url_for("reingest_page"))
        job = ReingestJob(since.isoformat(), until.isoformat(), bool(request.form.get("from_archive")), actor())
        state["jobs"]["reingest"] = job
        start_reingest(state["config"], state["action_lock"], job, since, until)
        flash(f"已开始重新读取 {since} 至 {until} 的邮件（不会重复发送回执）。", "ok")
        return redirect(url_for("reingest_page"))


DONE_CN = {"assign": "已归属到{unit}：该发件地址今后的来信自动归属，邮件已重新处理。",
           "dismiss": "已排除：该邮件今后显示为“非报送”，可在下方“已排除”中恢复。",
           "restore": "已恢复：该邮件重新按程序的结论计入。", "reprocess": "已重新处理。",
           "confirm": "已标记为送达。", "resend": "已重新发送（或已排队，下一轮发送）。"}


def _act(action: str, *args, back: str):
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
        unit = p.registry.get(args[1]) if action == "assign" else None
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


def _row():
    row = pipeline().store.message(request.args.get("key", ""))
    if row is None:
        abort(404)
    return row


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{url_quote(filename)}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
