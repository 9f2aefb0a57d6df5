"""The console's one Blueprint and what its views share: this request's pipeline, who acts, the action lock.

Views are plain module-level functions routed on ``bp`` (``views.py`` pages and downloads, ``forms.py``
actions, ``auth.py`` login); a new page is a function in one of them, or a module that imports ``bp``
and is imported by ``web.create_app``.
"""
from __future__ import annotations

import secrets
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, flash, redirect, request, session, url_for

from pipeline.reporting.wording import short_time
from pipeline.runtime.app import Pipeline
from pipeline.runtime.console.state import state

bp = Blueprint("console", __name__)


def pipeline() -> Pipeline:
    """This thread's pipeline (its dataset is cached until the ledger changes)."""
    return state().pipeline()


def local_time(value: str | None) -> str:
    """An ISO time -> '9月20日 10:11' in the campaign's zone."""
    return short_time(value, state().config.campaign.tz)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def actor() -> str:
    return f"网页:{session.get('user', '?')}"


def exclusive(view: Callable[..., Any]) -> Callable[..., Any]:
    """Actions one at a time in this process (a reingest holds the lock for its whole run)."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lock = state().action_lock
        if not lock.acquire(timeout=10):
            flash("另一项操作（如重新读取）正在进行，请稍后再试。", "error")
            return redirect(request.referrer or url_for("console.overview"))
        try:
            return view(*args, **kwargs)
        finally:
            lock.release()
    return wrapper


@bp.app_errorhandler(Exception)
def machine_fault(exc: Exception) -> Any:
    """Any page or button meeting a machine fault (another process ingesting, a full disk, a locked ledger)
    answers in one line, as the command line does; HTTP errors and real bugs go on as they would."""
    from flask import render_template
    from werkzeug.exceptions import HTTPException

    from pipeline import failures

    if isinstance(exc, HTTPException):
        return exc
    known = failures.explain(exc, state().config, request.path)
    if known is None:
        raise exc
    return render_template("error.html", message=f"操作未完成：{known[1]}"), 503
