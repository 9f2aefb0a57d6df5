"""The office's web console: progress, units, the review queue, undelivered mail, the workbook.

``web.py`` builds the Flask application around one Blueprint (``blueprint.py``): ``auth.py`` login,
sessions and CSRF, ``views.py`` the pages and downloads, ``forms.py`` the actions; ``state.py`` what
lasts between requests; ``jobs.py`` the background reingest; ``server.py`` runs it with waitress, alone
(``run.py console``) or in a thread beside ``serve``. Flask is imported only when a console is
made, so `serve` without ``console.enabled`` never needs it.
"""
from pipeline.runtime.console.server import PASSWORD_ENV, ConsoleError, console_beside, run_console


def create_app(config, **options):
    from pipeline.runtime.console.web import create_app as create

    return create(config, **options)


__all__ = ["ConsoleError", "PASSWORD_ENV", "console_beside", "create_app", "run_console"]
