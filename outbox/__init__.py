"""What we send: rendering, composing and delivering mail. Imports nothing from ``parsers``."""


class OutboxError(Exception):
    """A mail that could not be delivered; the subclasses in ``smtp`` say whether to try again."""
