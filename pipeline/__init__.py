"""Orchestration and state: mailboxes, the ledger, the campaign. The only package that knows
about ``parsers`` and ``outbox`` both."""
