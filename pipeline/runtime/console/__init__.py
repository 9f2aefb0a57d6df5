"""The office's web console: progress, units, the review queue, undelivered mail, the workbook.

``web.py`` builds the Flask application around one Blueprint (``blueprint.py``): ``auth.py`` login,
sessions and CSRF, ``views.py`` the pages and downloads, ``forms.py`` the actions; ``state.py`` what
lasts between requests; ``jobs.py`` the background reingest; ``server.py`` runs it with waitress, alone
(``run.py console``) or in a thread beside ``serve``. Flask is imported only when a console is
made, so `serve` without ``console.enabled`` never needs it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.config import Config
from pipeline.runtime.console.server import PASSWORD_ENV, ConsoleError, console_beside, run_console

if TYPE_CHECKING:
    from flask import Flask  # imported when a console is made (see above)


def create_app(config: Config, **options: Any) -> Flask:
    from pipeline.runtime.console.web import create_app as create

    return create(config, **options)


__all__ = ["ConsoleError", "PASSWORD_ENV", "console_beside", "create_app", "run_console"]
