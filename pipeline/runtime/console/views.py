"""The console's pages and downloads. Pages read the same dataset as the export and the digest."""
from __future__ import annotations

import mimetypes
import os
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime, time, timezone
from pathlib import Path
from urllib.parse import quote as url_quote

from flask import Response, abort, jsonify, render_template, request

from pipeline.admin.actions import ACTION_CN
from pipeline.admin.review import questions, review_items
from pipeline.config import CATEGORIES
from pipeline.ledger.rows import MessageRow
from pipeline.locks import holder
from pipeline.outbound.digest import category_progress, digest_context, outside_period, submissions_per_day
from pipeline.reporting.workbook import write_workbook
from pipeline.runtime.console.blueprint import bp, local_time, pipeline
from pipeline.runtime.console.state import state

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTBOX_STATE_CN = {"failed": "发送失败", "unconfirmed": "未确认是否送达", "suppressed": "超过每日上限未发送"}
KIND_CN = {"ack": "回执", "digest": "每日汇总", "reminder": "提醒"}


def _now() -> datetime:
    return datetime.now(state().config.campaign.tz)


def _unit_state(u: dict) -> str:
    if not u["submitted"]:
        return "未报送"
    return ("已达标" if u["met"] else f"未达标（差{u['required'] - u['reported']}项）") + ("，逾期报送" if u["late"] else "")


def _keys() -> dict[str, str]:
    """Export message_id -> ledger key (the archive and the downloads go by key)."""
    return {r.ident: r.key for r in pipeline().store.messages()}


def _worker() -> dict:
    config, store = state().config, pipeline().store
    last, report = store.last_poll()
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
    return dict(text=text, ok=ok, last=local_time(last), minutes=minutes, report=report or "")


def worker_alive(data_dir: Path) -> bool | None:
    """Whether the process named in ``worker.lock`` (the running `serve`) still exists; None if unknown."""
    try:
        pid = int(holder(data_dir / "worker.lock").split()[0])  # the holder writes "pid serve"
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # (a platform check mypy understands: windll exists only there)
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if handle:
            kernel32.CloseHandle(handle)
        return bool(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    return True


# -- pages --------------------------------------------------------------------------------------

@bp.route("/")
def overview() -> str:
    p = pipeline()
    now = _now()
    context = digest_context(p, p.dataset(), now.date(), since=datetime.combine(now.date(), time.min, now.tzinfo),
                             cutoff=now, by_arrival=False)
    return render_template("overview.html", d=context, worker=_worker(), page="overview",
                           undelivered=len(p.store.outbox_problems()))


@bp.route("/chart.png")
def chart() -> Response:
    from pipeline.reporting.chart import progress_chart

    p, console = pipeline(), state()
    now = _now()
    stamp = (now.date(), id(p), *p.store.ledger_version())
    with console.chart_lock:  # the same ledger state gets the same picture
        if console.chart is None or console.chart[0] != stamp:
            data = p.dataset()
            period = p.config.campaign.period
            last = min(now.date(), period[1])
            png = progress_chart(category_progress(data["units"]), submissions_per_day(data, period[0], last),
                                 note=outside_period(data, period[0], last))
            console.chart = (stamp, png)
        png = console.chart[1]
    return Response(png, mimetype="image/png")


@bp.route("/units")
def units() -> str:
    show = request.args.get("show", "all")
    rows = [dict(u, state=_unit_state(u), category_cn=CATEGORIES.get(u["category"], u["category"]))
            for u in pipeline().dataset()["units"]]
    wanted = {"missing": lambda u: not u["submitted"], "short": lambda u: u["submitted"] and not u["met"],
              "late": lambda u: u["late"], "met": lambda u: u["met"]}.get(show, lambda u: True)
    return render_template("units.html", units=[u for u in rows if wanted(u)], show=show, total=len(rows),
                           page="units")


@bp.route("/units/<unit_id>")
def unit(unit_id: str) -> str:
    p = pipeline()
    registered = p.registry.get(unit_id)
    if registered is None:
        abort(404)
    data = p.dataset()
    progress = next(u for u in data["units"] if u["unit_id"] == unit_id)
    keys = _keys()
    messages = [dict(m, key=keys.get(m["message_id"], m["message_id"])) for m in data["messages"]
                if m["unit_id"] == unit_id]
    activities = [a for a in data["activities"] if a["unit_id"] == unit_id]
    return render_template("unit.html", unit=registered, u=dict(progress, state=_unit_state(progress)),
                           messages=messages[::-1], activities=activities, page="units",
                           category_cn=CATEGORIES.get(registered.category, registered.category))


@bp.route("/review")
def review_page() -> str:
    p = pipeline()
    data = p.dataset()
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


@bp.route("/outbox")
def outbox_page() -> str:
    rows = [dict(asdict(r), recipients=", ".join(r.recipients), state_cn=OUTBOX_STATE_CN.get(r.state, r.state),
                 kind_cn=KIND_CN.get(r.kind, r.kind)) for r in pipeline().store.outbox_problems()]
    return render_template("outbox.html", rows=rows, page="outbox")


@bp.route("/log")
def audit_page() -> str:
    rows = [dict(asdict(r), action_cn=ACTION_CN.get(r.action, r.action)) for r in pipeline().store.audit_log()]
    return render_template("audit.html", rows=rows, page="log")


@bp.route("/reingest")
def reingest_page() -> str:
    console = state()
    return render_template("reingest.html", job=console.jobs.get("reingest"), period=console.config.campaign.period,
                           page="reingest")


@bp.route("/reingest/status")
def reingest_status() -> Response:
    job = state().jobs.get("reingest")
    return jsonify(job.as_dict() if job else {"state": "none"})


# -- downloads ----------------------------------------------------------------------------------

@bp.route("/workbook.xlsx")
def workbook() -> Response:
    p = pipeline()
    data = p.dataset()
    review = {i.message_id: i for i in review_items(p, data)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.xlsx"
        write_workbook(data, path, review=review)
        body = path.read_bytes()
    return _download(body, f"科普月报送汇总_{_now():%Y%m%d}.xlsx", XLSX_TYPE)


@bp.route("/mail/raw")
def raw_mail() -> Response:
    return _download(_archived(_message()), "原始邮件.eml", "message/rfc822")


@bp.route("/mail/file")
def mail_file() -> Response:
    from parsers.mime import parse_message
    from parsers.read_mail import attachment_label
    from parsers.sandbox import SandboxFailure

    message, name = _message(), request.args.get("name", "")
    p = pipeline()
    [envelope] = p.sandbox.run_many([(parse_message, (_archived(message),))])
    if isinstance(envelope, SandboxFailure):
        abort(404)
    labels = [(attachment_label(a.name, a.path), a) for a in envelope.attachments]
    found = next((a for label, a in labels if label == name), None) \
        or next((a for label, a in labels if name.startswith(label + "/")), None)  # a file inside a zip
    if found is None:
        abort(404)
    filename = found.name or "附件"
    return _download(found.data, filename, mimetypes.guess_type(filename)[0] or "application/octet-stream")


def _message() -> MessageRow:
    found = pipeline().store.message(request.args.get("key", ""))
    if found is None:
        abort(404)
    return found


def _archived(message: MessageRow) -> bytes:
    """The raw mail as archived; 404 where the archive lacks it (a data_dir restored without its archive)."""
    try:
        return pipeline().archive.get(message.sha256)
    except OSError:
        abort(404)


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{url_quote(filename)}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
