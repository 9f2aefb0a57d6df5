"""Tables in plain text: what antiword prints for a .doc table (``|cell |cell |``), and columns a
text keeps apart with tabs or runs of spaces. Each block of such lines is one grid for ``tables``."""
from __future__ import annotations

import re

_MIN_ROWS = 2
_WIDE_GAP = re.compile(r"\t+| {2,}|\u3000+")


def tables_in_text(text: str) -> list[list[list[str]]]:
    """Grids found in ``text``: runs of consecutive lines cut the same way (pipes, else tabs or wide gaps)."""
    grids: list[list[list[str]]] = []
    run: list[list[str]] = []
    kind = ""
    for line in text.splitlines() + [""]:
        cells, how = _cells(line)
        if cells and (not run or how == kind):
            run.append(cells)
            kind = how
            continue
        if len(run) >= _MIN_ROWS:
            grids.append(run)
        run, kind = ([cells], how) if cells else ([], "")
    return [g for g in grids if _table_shaped(g)]


def _cells(line: str) -> tuple[list[str], str]:
    stripped = line.strip()
    if stripped.count("|") >= 2:
        parts = stripped.strip("|").split("|")
        return [p.strip() for p in parts], "pipe"
    parts = [p.strip() for p in _WIDE_GAP.split(stripped) if p.strip()]
    return (parts, "gap") if len(parts) >= 3 else ([], "")


def _table_shaped(grid: list[list[str]]) -> bool:
    """Aligned columns, not prose that happens to hold a few gaps: most rows as wide as the widest."""
    width = max(len(r) for r in grid)
    return width >= 2 and sum(len(r) == width for r in grid) >= 0.6 * len(grid)
