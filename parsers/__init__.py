"""Pure parsers: bytes in, records out. No database, no network, no config object.

This package imports nothing from ``pipeline`` or ``outbox``.
"""
