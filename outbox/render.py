"""Render the Chinese texts units and admins read (jinja2, HTML autoescaped)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env


def render(name: str, **context) -> tuple[str, str]:
    """Return (plain text, html) of template ``name`` (``name.txt`` and ``name.html``)."""
    env = environment()
    return env.get_template(f"{name}.txt").render(**context), env.get_template(f"{name}.html").render(**context)
