"""Login, logout, and the checks every request passes: the Host of an open console, CSRF on every POST,
a session that ends after ``console.session_minutes`` without use."""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from pipeline.runtime.console.blueprint import bp, csrf_token
from pipeline.runtime.console.server import is_loopback
from pipeline.runtime.console.state import state

OPEN_ENDPOINTS = {"console.login", "static"}
MAX_FAILURES = 5  # wrong passwords in a row before the login pauses
PAUSE_S = 60


def guard() -> BaseResponse | tuple[str, int] | None:
    console = state()
    if not console.password and not is_loopback((urlsplit("//" + request.host).hostname or "")):
        abort(403)  # open console: only for this machine
    if request.method == "POST":
        sent = request.form.get("csrf", "") or request.headers.get("X-CSRF-Token", "")
        if not session.get("csrf") or not hmac.compare_digest(sent, session["csrf"]):
            return render_template("error.html", message="页面已过期或来源不明，请刷新页面后重试。"), 400
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    now = console.clock()
    if not session.get("user") or now - session.get("seen", 0) > console.config.console.session_minutes * 60:
        if session.pop("user", None):  # the CSRF token stays: a stray request must not spoil the login form
            session.pop("seen", None)
            flash("登录已过期，请重新登录。", "error")
        return redirect(url_for("console.login",
                                next=request.full_path.rstrip("?") if request.method == "GET" else None))
    session["seen"] = now
    return None


def security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
    if request.endpoint not in ("static",):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def common() -> dict:
    return dict(csrf=csrf_token(), user=session.get("user"), campaign=state().config.campaign.name)


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    console = state()
    if request.method == "POST":
        failures = console.failures
        name = " ".join(request.form.get("name", "").split())[:40] or "管理员"
        if failures.count >= MAX_FAILURES and console.clock() - failures.since < PAUSE_S:
            flash("密码错误次数过多，请一分钟后再试。", "error")
        elif console.password and not hmac.compare_digest(request.form.get("password", "").encode(),
                                                          console.password.encode()):
            failures.count, failures.since = failures.count + 1, console.clock()
            flash("密码不正确。", "error")
        else:
            failures.count, failures.since = 0, 0.0
            session.clear()
            session.update(user=name, seen=console.clock(), csrf=secrets.token_urlsafe(32))
            target = request.args.get("next") or ""
            local = target.startswith("/") and not target.startswith(("//", "/\\"))  # never off-site
            return redirect(target if local else url_for("console.overview"))
    return render_template("login.html", needs_password=bool(console.password))


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    session.clear()
    return redirect(url_for("console.login"))
