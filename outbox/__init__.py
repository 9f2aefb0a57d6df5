"""What we send: rendering, composing and delivering mail. Imports nothing from ``parsers``."""
