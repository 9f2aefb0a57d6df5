"""Activity lists whose labels run down a column instead of across a header row.

Offices lay one activity out as a small table (一事一表: 活动名称 | …, 活动时间 | … in two columns, or
a form, 活动时间 | … | 活动地点 | …), stack such cards down a sheet, turn a whole list on its side
(fields down the first column, one activity per column), or write 活动名称：… lines in a Word body.

One reading covers them all: the labels stand in one column; a run of labels ends where a label comes
again (the next card); each run is a header turned on its side, so it is turned upright and read by the
same header and row reader as any list (``tables.read_rows``): synonyms, examples, cancelled rows alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import tables
from .parsed import RawActivity

_MAX_LABEL = 12
_PAIR = re.compile(r"^(?:[(（]?[一二三四五六七八九十\d]{1,2}[)）、.．]\s*)?(?P<label>[^:：]{2,12}?)\s*[:：]\s*(?P<value>.*)$")
_SEGMENTS = re.compile(r"[；;]|\t|\s{2,}")
_DETAIL_FIELDS = ("date", "date_start", "date_end", "location", "participants", "participants_offline",
                  "participants_online", "format")


@dataclass
class _Entry:
    """One label and what stands beside it, from grid row ``row``."""

    label: Any
    row: int
    value: Any = None  # the one value of a card or form row
    cells: dict[int, Any] = field(default_factory=dict)  # grid column -> value, for a transposed table
    wide: bool = False  # several different values: one per activity


def read_label_column(grid: list[list[Any]], texts: list[list[str]], source: str,
                      row_refs: list[str] | None = None, rank: str = "key") -> tuple[list[RawActivity], list[str]] | None:
    """Activities of a grid whose labels stand in its first used column; None when it holds none."""
    column = next((c for c in range(len(grid[0]) if grid else 0) if any(t[c] for t in texts)), None)
    if column is None:
        return None
    entries = [e for r in range(len(grid)) for e in _entries(grid[r], texts[r], r, column)]
    activities: list[RawActivity] = []
    notes: list[str] = []
    for run in _runs(entries):
        found = _read_run(run, source, row_refs, rank)
        if found:
            activities += found[0]
            notes += found[1]
    return (activities, notes) if activities else None


def prose_cards(paragraphs: list[str], source: str) -> tuple[list[RawActivity], list[str]]:
    """Activities written as 活动名称：… / 活动时间：… lines. Prose carries such lines for other reasons
    ("活动主题：…" once at the top), so a record needs a title and two more details."""
    rows: list[list[Any]] = []
    refs: list[str] = []
    for n, paragraph in enumerate(paragraphs, 1):
        for segment in _SEGMENTS.split(paragraph):
            m = _PAIR.match(segment.strip())
            if m and _is_label(m["label"]):
                rows.append([m["label"], m["value"].strip().rstrip("。；;") or None])
                refs.append(f"第{n}段")
    if not rows:
        return [], []
    texts = [[tables._text(v) for v in r] for r in rows]
    found = read_label_column(rows, texts, source, refs) or ([], [])
    kept = [a for a in found[0] if sum(bool(tables._text(a.fields.get(f))) for f in _DETAIL_FIELDS) >= 2]
    return kept, (found[1] if kept else [])


def _entries(row: list[Any], cells: list[str], r: int, column: int) -> list[_Entry]:
    if not cells[column]:
        return []
    # a merged cell repeats its text over the columns it spans: one value, not several
    filled: list[tuple[int, str]] = []
    for i in range(column, len(cells)):
        if cells[i] and (not filled or filled[-1][1] != cells[i]):
            filled.append((i, cells[i]))
    labels, values = filled[0::2], filled[1::2]
    if len(filled) >= 4 and len(filled) % 2 == 0 and all(_is_label(t) for _, t in labels) \
            and not any(_is_label(t) for _, t in values):
        return [_Entry(row[i], r, row[j]) for (i, _), (j, _) in zip(labels, values)]  # a form row
    entry = _Entry(row[column], r, row[filled[1][0]] if len(filled) > 1 else None,
                   {i: row[i] for i in range(column + 1, len(row))}, wide=len(filled) > 2)
    return [entry]


def _is_label(text: str) -> bool:
    """A field's name: short, no figures, ending in a header word once brackets are dropped
    ("参与人数（人次）"); "线上线下结合" holds a header word but is a value."""
    key = re.sub(r"\([^)]*\)", "", tables._norm(text)).rstrip(":")
    if not 2 <= len(key) <= _MAX_LABEL or re.search(r"\d", key):
        return False
    return key.endswith(_label_ends()) and tables._field_of(key) is not None


@lru_cache(maxsize=1)
def _label_ends() -> tuple[str, ...]:
    return tuple(w for words in tables.SYNONYMS.values() for w in words)


def _runs(entries: list[_Entry]) -> list[list[_Entry]]:
    """Split where a label comes again: the next card begins."""
    runs: list[list[_Entry]] = []
    seen: set[str] = set()
    for entry in entries:
        key = tables._norm(tables._text(entry.label))
        if not runs or key in seen:
            runs.append([])
            seen = set()
        runs[-1].append(entry)
        seen.add(key)
    return runs


def _read_run(run: list[_Entry], source: str, row_refs: list[str] | None,
              rank: str) -> tuple[list[RawActivity], list[str]] | None:
    """The run turned upright (labels as the header row) and read like any list."""
    if any(e.wide for e in run):
        columns = sorted({c for e in run for c, v in e.cells.items() if tables._text(v)})
        data = [[e.cells.get(c) for e in run] for c in columns]
    else:
        columns, data = [], [[e.value for e in run]]
    grid = [[e.label for e in run]] + data
    texts = [[tables._text(v) for v in r] for r in grid]
    header = tables._header_at(grid, texts, 0)
    if header is None or header.rows != 1:
        return None
    title_row = run[header.fields["title"][0]].row
    if columns:
        def locate(r: int) -> str:
            return f"{_column_name(columns[r - 1])}{title_row + 1}"
    else:
        def locate(r: int) -> str:
            return row_refs[title_row] if row_refs else f"R{title_row + 1}"
    return tables.read_rows(grid, texts, header, 1, source, locate, rank)


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
