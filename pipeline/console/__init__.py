"""The office's web console: progress, units, the review queue, undelivered mail, the workbook.

``web.py`` builds the Flask application (login, sessions, CSRF), ``views.py`` the pages,
``jobs.py`` the background reingest, ``server.py`` runs it with waitress, alone
(``run.py console``) or in a thread beside ``serve``.
"""
from .server import ConsoleError, PASSWORD_ENV, console_beside, run_console
from .web import create_app

__all__ = ["ConsoleError", "PASSWORD_ENV", "console_beside", "create_app", "run_console"]
