"""Orchestration and state: mailboxes, the ledger, the campaign. The only package that knows
about ``parsers`` and ``outbox`` both."""
from outbox import OutboxError
from parsers import ParserError


class PipelineError(Exception):
    """The project's own refusals and failures (a bad configuration, a review command that cannot be carried
    out, a worker already running…): worded for the person who reads them, never a traceback."""


PROJECT_ERRORS = (PipelineError, ParserError, OutboxError)  # every error this project raises on purpose
