"""Pure parsers: bytes in, records out. No database, no network, no config object.

This package imports nothing from ``pipeline`` or ``outbox``. Two modules start processes, and stay here on
purpose: ``sandbox.py`` runs these same pure functions in child processes with memory and time limits, and
``memwatch.py`` measures that process tree. They are the parsers' containment (a hostile file can only hurt
a child), they touch no ledger, mailbox or network, and ``pipeline`` is what decides to use them.
"""


class ParserError(Exception):
    """A file the parsers cannot read, or cannot read safely; each module words its own reason."""
