"""The console's Flask application: login, sessions that expire, CSRF on every action.

Every page needs a login. With ``SUMMARY_CONSOLE_PASSWORD`` set, the login asks for it; without
it (only allowed on 127.0.0.1) the login asks for a name only, so actions are still recorded
with who did them, and requests must name this machine in their Host header (a web page
elsewhere cannot reach the console through DNS rebinding). Sessions live in a signed cookie
whose key is made afresh at each start, and end after ``console.session_minutes`` without use.
The pages are one Blueprint (``blueprint.py``); what lasts between requests is ``state.ConsoleState``.
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Callable

from flask import Flask

from pipeline.config import CATEGORIES, Config
from pipeline.reporting.wording import STATUS_CN
from pipeline.runtime.console import (  # noqa: F401  (their routes join the blueprint)
    auth,
    forms,
    page_images,
    proposals,
    season_pages,
    views,
)
from pipeline.runtime.console.blueprint import bp, local_time
from pipeline.runtime.console.state import EXTENSION, ConsoleState, state

HERE = Path(__file__).parent


def create_app(config: Config, *, password: str | None = None, clock: Callable[[], float] = time.time) -> Flask:
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_NAME="summary_console", MAX_CONTENT_LENGTH=1_000_000)
    app.extensions[EXTENSION] = ConsoleState(config, password, clock)
    app.before_request(auth.guard)
    app.after_request(auth.security_headers)
    app.teardown_appcontext(_release_parsers)
    app.context_processor(auth.common)
    app.jinja_env.globals.update(status_cn=STATUS_CN, categories_cn=CATEGORIES, local=local_time,
                                 **season_pages.TEMPLATE_GLOBALS, **proposals.TEMPLATE_GLOBALS)
    app.register_blueprint(bp)
    return app


def _release_parsers(exc: BaseException | None) -> None:
    state().release_parsers()
