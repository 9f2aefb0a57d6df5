"""The console's Flask application: login, sessions that expire, CSRF on every action.

Every page needs a login. With ``SUMMARY_CONSOLE_PASSWORD`` set, the login asks for it; without
it (only allowed on 127.0.0.1) the login asks for a name only, so actions are still recorded
with who did them, and requests must name this machine in their Host header (a web page
elsewhere cannot reach the console through DNS rebinding). Sessions live in a signed cookie
whose key is made afresh at each start, and end after ``console.session_minutes`` without use.
Each request opens its own ``Pipeline`` (SQLite connections stay in their thread).
"""
from __future__ import annotations

import hmac
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for

from pipeline.config import Config
from pipeline.locks import holder
from pipeline.runtime.app import Pipeline
from pipeline.runtime.console.server import is_loopback

HERE = Path(__file__).parent
OPEN_ENDPOINTS = {"login", "static"}
MAX_FAILURES = 5  # wrong passwords in a row before the login pauses
PAUSE_S = 60


def create_app(config: Config, *, password: str | None = None, clock: Callable[[], float] = time.time) -> Flask:
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_NAME="summary_console", MAX_CONTENT_LENGTH=1_000_000)
    app.extensions["summary"] = dict(config=config, password=password, clock=clock, failures=[0, 0.0],
                                     action_lock=threading.Lock(), jobs={})

    @app.before_request
    def guard():
        state = app.extensions["summary"]
        if not state["password"] and not is_loopback((urlsplit("//" + request.host).hostname or "")):
            abort(403)  # open console: only for this machine
        if request.method == "POST":
            sent = request.form.get("csrf", "") or request.headers.get("X-CSRF-Token", "")
            if not session.get("csrf") or not hmac.compare_digest(sent, session["csrf"]):
                return render_template("error.html", message="页面已过期或来源不明，请刷新页面后重试。"), 400
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        now = state["clock"]()
        if not session.get("user") or now - session.get("seen", 0) > config.console.session_minutes * 60:
            if session.pop("user", None):  # the CSRF token stays: a stray request must not spoil the login form
                session.pop("seen", None)
                flash("登录已过期，请重新登录。", "error")
            return redirect(url_for("login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
        session["seen"] = now
        return None

    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        if request.endpoint not in ("static",):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_appcontext
    def close_pipeline(exc):
        pipeline = g.pop("pipeline", None)
        if pipeline is not None:
            pipeline.close()

    @app.context_processor
    def common():
        return dict(csrf=csrf_token(), user=session.get("user"), campaign=config.campaign.name)

    @app.route("/login", methods=["GET", "POST"])
    def login():
        state = app.extensions["summary"]
        if request.method == "POST":
            failures, since = state["failures"]
            name = " ".join(request.form.get("name", "").split())[:40] or "管理员"
            if failures >= MAX_FAILURES and state["clock"]() - since < PAUSE_S:
                flash("密码错误次数过多，请一分钟后再试。", "error")
            elif state["password"] and not hmac.compare_digest(request.form.get("password", "").encode(),
                                                               state["password"].encode()):
                state["failures"] = [failures + 1, state["clock"]()]
                flash("密码不正确。", "error")
            else:
                state["failures"] = [0, 0.0]
                session.clear()
                session.update(user=name, seen=state["clock"](), csrf=secrets.token_urlsafe(32))
                target = request.args.get("next") or ""
                local = target.startswith("/") and not target.startswith(("//", "/\\"))  # never off-site
                return redirect(target if local else url_for("overview"))
        return render_template("login.html", needs_password=bool(state["password"]))

    @app.route("/logout", methods=["POST"])
    def logout():
        session.clear()
        return redirect(url_for("login"))

    from pipeline.runtime.console.proposals import register_proposals
    from pipeline.runtime.console.views import register

    register(app)
    register_proposals(app)
    return app


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def pipeline() -> Pipeline:
    """This request's pipeline (closed when the request ends)."""
    if "pipeline" not in g:
        g.pipeline = Pipeline(settings()["config"])
    return g.pipeline


def settings() -> dict:
    from flask import current_app

    return current_app.extensions["summary"]


def actor() -> str:
    return f"网页:{session.get('user', '?')}"


def exclusive(view):
    """Actions one at a time in this process (a reingest holds the lock for its whole run)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        lock = settings()["action_lock"]
        if not lock.acquire(timeout=10):
            flash("另一项操作（如重新读取）正在进行，请稍后再试。", "error")
            return redirect(request.referrer or url_for("overview"))
        try:
            return view(*args, **kwargs)
        finally:
            lock.release()
    return wrapper


def worker_alive(data_dir: Path) -> bool | None:
    """Whether the process named in ``worker.lock`` (the running `serve`) still exists; None if unknown."""
    try:
        pid = int(holder(data_dir / "worker.lock").split()[0])  # the holder writes "pid serve"
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
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
