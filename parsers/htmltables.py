"""Tables of an HTML page: what web systems (the 科普月 platform, OA exports) hand out as "Excel" (.xls
files that are HTML) and what Word/Excel save as 网页. Rows of cell texts, rowspan/colspan repeated into the
cells they cover, so they go through ``tables.py`` like a sheet."""
from __future__ import annotations

from html.parser import HTMLParser

_MAX_CELLS = 300_000


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.stack: list[tuple[list[list[str]], dict[tuple[int, int], str]]] = []
        self.cell: list[str] | None = None
        self.span = (1, 1)
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.stack.append(([], {}))
        elif tag == "tr" and self.stack:
            self.stack[-1][0].append([])
        elif tag in ("td", "th") and self.stack and self.stack[-1][0]:
            a = dict(attrs)
            self.cell = []
            self.span = (_int(a.get("rowspan")), _int(a.get("colspan")))
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.stack:
            self._place("".join(self.cell).strip())
            self.cell = None
        elif tag == "table" and self.stack:
            rows, _ = self.stack.pop()
            if any(any(c for c in row) for row in rows):
                self.tables.append(rows)

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def _place(self, text: str) -> None:
        rows, covered = self.stack[-1]
        r = len(rows) - 1
        row = rows[r]
        while (r, len(row)) in covered:
            row.append(covered.pop((r, len(row))))
        rowspan, colspan = self.span
        c0 = len(row)
        for dc in range(colspan):
            row.append(text)
            for dr in range(1, rowspan):
                covered[(r + dr, c0 + dc)] = text
        self.cells += rowspan * colspan
        if self.cells > _MAX_CELLS:
            raise ValueError("too many cells")


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(str(value).strip()), 500))
    except ValueError:
        return 1


def html_tables(text: str) -> list[list[list[str]]]:
    """Every table of ``text`` with at least one non-empty cell, innermost first; [] when unreadable."""
    parser = _Tables()
    try:
        parser.feed(text)
        parser.close()
    except (ValueError, AssertionError):
        return parser.tables
    return parser.tables
