"""OCR'd characters into a grid of cell strings, which ``tables.extract_activities`` reads like a Word table.

Ruled tables: cells come from the ruling lines, found by morphology on the red channel (a red stamp is
nearly white there, so it neither hides a line nor adds one). A border missing between two cells is a
merged cell: its text is repeated over the cells it covers, as the spreadsheet reader does. Characters,
not OCR lines, are placed in cells, since the detector often runs one line across a border.

Tables without lines: OCR lines become rows by vertical overlap; columns are the x ranges of a header
row's labels (every candidate row is tried; the caller keeps the grid that yields most activities).
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from .ocr_engine import Char, Line


@dataclass
class Cell:
    text: str = ""
    scores: list[float] = field(default_factory=list)


@dataclass
class Grid:
    rows: list[list[Cell]]
    ruled: bool

    def texts(self) -> list[list[str]]:
        return [[c.text for c in row] for row in self.rows]


@dataclass
class Rules:
    ys: list[float]  # horizontal rule positions, top to bottom
    xs: list[float]  # vertical rule positions, left to right
    h_mask: np.ndarray
    v_mask: np.ndarray


def line_masks(img: np.ndarray, text_h: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(horizontal, vertical) ruling-line masks of an RGB page. ``text_h`` (the characters' height, when
    known) sizes the probes: a rule is longer than any stroke of a character; 0 = judge by the page size."""
    import cv2

    red = np.ascontiguousarray(img[:, :, 0])
    # divide by the local paper tone (closing removes thin dark strokes): uneven light and grey paper go,
    # a faint grey rule stays clearly darker than the paper around it
    paper = cv2.morphologyEx(red, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    ratio = red.astype(np.float32) / np.maximum(paper.astype(np.float32), 1.0)
    bw = (ratio < 0.9).astype(np.uint8) * 255
    h, w = bw.shape
    long_h = int(max(25, 3 * text_h)) if text_h else max(25, w // 30)
    long_v = int(max(20, 1.6 * text_h)) if text_h else max(20, h // 60)
    horiz = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (long_h, 1)))
    vert = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, long_v)))
    # close the gaps noise and slight skew leave in a rule
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    vert = cv2.dilate(vert, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 9)))
    return horiz, vert


def find_rules(img: np.ndarray, text_h: float = 0.0) -> Rules | None:
    """The ruling lines of the page's table, or None when it has no ruled grid (fewer than 3 x 3 rules).

    The table is the connected set of lines with the most rules: a photographed sheet's own edges form a
    frame too, but an empty one."""
    import cv2

    h_mask, v_mask = line_masks(img, text_h)
    h, w = h_mask.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_or(h_mask, v_mask), connectivity=8)
    best: tuple[int, list[float], list[float]] | None = None
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_WIDTH] < w * 0.1 or stats[i, cv2.CC_STAT_HEIGHT] < h * 0.03:
            continue
        x, y, cw, ch = (int(v) for v in stats[i, :4])
        part = (labels[y:y + ch, x:x + cw] == i).astype(np.uint8) * 255
        ys = [y + p for p in _positions(cv2.bitwise_and(h_mask[y:y + ch, x:x + cw], part), 0, cw * 0.15,
                                        max(6.0, h * 0.004))]
        xs = [x + p for p in _positions(cv2.bitwise_and(v_mask[y:y + ch, x:x + cw], part), 1, ch * 0.1,
                                        max(6.0, w * 0.004))]
        if len(ys) >= 3 and len(xs) >= 3 and (best is None or len(ys) * len(xs) > best[0]):
            best = (len(ys) * len(xs), ys, xs)
    if best is None:
        return None
    return Rules(best[1], best[2], h_mask, v_mask)


def _positions(mask: np.ndarray, axis: int, min_len: float, tol: float) -> list[float]:
    """Centres of the rules in ``mask`` (axis 0: horizontal rules, their y). A rule seen in pieces (a photo,
    a faint print) counts when its pieces, clustered by position, add up to ``min_len``."""
    import cv2

    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    pieces = []
    for i in range(1, n):
        length = stats[i, cv2.CC_STAT_WIDTH] if axis == 0 else stats[i, cv2.CC_STAT_HEIGHT]
        pieces.append((float(centroids[i][1] if axis == 0 else centroids[i][0]), float(length)))
    pieces.sort()
    groups: list[list[tuple[float, float]]] = []
    for p in pieces:
        if groups and p[0] - groups[-1][-1][0] <= tol:
            groups[-1].append(p)
        else:
            groups.append([p])
    out = []
    for g in groups:
        total = sum(length for _, length in g)
        if total >= min_len:
            out.append(sum(c * length for c, length in g) / total)
    return out


def table_quad(img: np.ndarray) -> np.ndarray | None:
    """Corners (tl, tr, br, bl) of the table's outer border when it is a clear quadrilateral that is not
    already a rectangle (a photo taken at an angle); None otherwise."""
    import cv2

    h_mask, v_mask = line_masks(img)
    both = cv2.dilate(cv2.bitwise_or(h_mask, v_mask), cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(both, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    quad = None
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        if cv2.contourArea(contour) < 0.02 * img.shape[0] * img.shape[1]:
            break
        approx = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True).reshape(-1, 2)
        if len(approx) == 4 and cv2.isContourConvex(approx.reshape(-1, 1, 2)):
            quad = approx
            break
    if quad is None:
        return None
    quad = _order(quad.astype(np.float32))
    top, bottom = quad[1] - quad[0], quad[2] - quad[3]
    left, right = quad[3] - quad[0], quad[2] - quad[1]
    # a rectangle's opposite sides match; a perspective view makes them differ
    off = max(abs(np.linalg.norm(top) - np.linalg.norm(bottom)) / np.linalg.norm(top),
              abs(np.linalg.norm(left) - np.linalg.norm(right)) / np.linalg.norm(left))
    return quad if off > 0.02 else None


def _order(pts: np.ndarray) -> np.ndarray:
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32)


def unwarp(img: np.ndarray, quad: np.ndarray, margin: int = 40) -> np.ndarray:
    """The quadrilateral seen square-on, with what surrounds it (a title above the table) in a margin; a small
    table in a photo is enlarged to ~1600 px so its text is as large as on a 200 dpi scan."""
    import cv2

    w = float(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))
    h = float(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))
    k = min(2.0, max(1.0, 1600 / max(w, h)))
    w, h = w * k, h * k
    top = max(margin, int(0.2 * h))
    dst = np.array([[margin, top], [margin + w, top], [margin + w, top + h], [margin, top + h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(quad, dst)
    return cv2.warpPerspective(img, m, (int(w) + 2 * margin, int(h) + top + margin), flags=cv2.INTER_CUBIC,
                               borderValue=(255, 255, 255))


# --- ruled grid -------------------------------------------------------------------------------------

def ruled_grid(rules: Rules, lines: list[Line]) -> Grid:
    """Rows of cells between the rules; text above the table and below it as one-cell rows."""
    ys, xs = rules.ys, rules.xs
    nr, nc = len(ys) - 1, len(xs) - 1
    group = _merged_groups(rules, nr, nc)
    inside: dict[int, list[Char]] = {}
    above: list[Line] = []
    below: list[Line] = []
    for line in lines:
        for ch in line.chars:
            if xs[0] <= ch.cx <= xs[-1] and ys[0] <= ch.cy <= ys[-1]:
                r = min(nr - 1, bisect_right(ys, ch.cy) - 1)
                c = min(nc - 1, bisect_right(xs, ch.cx) - 1)
                inside.setdefault(group[r * nc + c], []).append(ch)
        if line.chars and all(ch.cy < ys[0] for ch in line.chars):
            above.append(line)
        elif line.chars and all(ch.cy > ys[-1] for ch in line.chars):
            below.append(line)
    cells = {g: _cell(chars) for g, chars in inside.items()}
    rows = [[cells.get(group[r * nc + c], Cell()) for c in range(nc)] for r in range(nr)]
    rows = [row for row in rows if any(c.text for c in row)]
    head = [[_line_cell(li)] for li in sorted(above, key=lambda li: li.y0)]
    foot = [[_line_cell(li)] for li in sorted(below, key=lambda li: li.y0)]
    return Grid(head + rows + foot, ruled=True)


def _merged_groups(rules: Rules, nr: int, nc: int) -> list[int]:
    """Union-find over cells: two neighbours with no rule between them are one (merged) cell."""
    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not _ruled(rules.v_mask, rules.xs[c + 1], rules.ys[r], rules.ys[r + 1], vertical=True):
                parent[find(r * nc + c + 1)] = find(r * nc + c)
            if r + 1 < nr and not _ruled(rules.h_mask, rules.ys[r + 1], rules.xs[c], rules.xs[c + 1], vertical=False):
                parent[find((r + 1) * nc + c)] = find(r * nc + c)
    return [find(i) for i in range(nr * nc)]


def _ruled(mask: np.ndarray, at: float, start: float, end: float, vertical: bool) -> bool:
    """Whether a rule runs at ``at`` over most of the middle of [start, end]."""
    pad = (end - start) * 0.2
    a, b = int(start + pad), int(end - pad)
    if b <= a:
        return True
    k = 9
    lo, hi = max(0, int(at) - k), int(at) + k + 1
    strip = mask[a:b, lo:hi] if vertical else mask[lo:hi, a:b]
    if strip.size == 0:
        return True
    covered = strip.max(axis=1 if vertical else 0) > 0
    return float(covered.mean()) >= 0.3  # a merged cell has no rule at all; text leaves gaps in one


def _cell(chars: list[Char]) -> Cell:
    """Characters in reading order: visual lines top to bottom (by their centres, whatever lines the detector
    drew), each left to right."""
    if not chars:
        return Cell()
    height = float(np.median([c.y1 - c.y0 for c in chars]))
    visual: list[list[Char]] = []
    for ch in sorted(chars, key=lambda c: c.cy):
        if visual and ch.cy - sum(c.cy for c in visual[-1]) / len(visual[-1]) < 0.5 * height:
            visual[-1].append(ch)
        else:
            visual.append([ch])
    text = "".join(_join(sorted(cs, key=lambda c: c.x0)) for cs in visual)
    return Cell(text.strip(), [c.score for c in chars])


def _join(chars: list[Char]) -> str:
    out = ""
    for prev, ch in zip([None, *chars[:-1]], chars):
        gap = ch.x0 - prev.x1 if prev is not None else 0.0
        height = ch.y1 - ch.y0
        # a wide gap between two Latin/digit runs is a space ("Zoom 会议"); Chinese text has none
        if prev is not None and gap > 0.5 * height and (prev.text[-1:].isascii() or ch.text[:1].isascii()):
            out += " "
        out += ch.text
    return out


def _line_cell(line: Line) -> Cell:
    return Cell(line.text.strip(), [c.score for c in line.chars] or [line.score])


# --- grid without rules -------------------------------------------------------------------------

def text_rows(lines: list[Line]) -> list[list[Line]]:
    """OCR lines grouped into rows: a line joins a row when their vertical extents overlap by half."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda li: (li.y0 + li.y1) / 2):
        cy = (line.y0 + line.y1) / 2
        if rows:
            last = rows[-1]
            top, bottom = min(li.y0 for li in last), max(li.y1 for li in last)
            if top <= cy <= bottom:
                last.append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda li: li.x0) for row in rows]


def unruled_grid(rows: list[list[Line]], header: int) -> Grid:
    """Columns from the blank vertical strips of the rows from ``header`` down (each character goes between
    two borders); rows above stay one cell each. Two labels the detector read as one line ("开展日期举办地点")
    are split by the same borders as the values under them."""
    bounds = _column_bounds(rows[header:])
    out: list[list[Cell]] = [[_line_cell(_merge(row))] for row in rows[:header]]
    previous_bottom = None
    for row in rows[header:]:
        chars: list[list[Char]] = [[] for _ in range(len(bounds) + 1)]
        for line in row:
            for ch in line.chars:
                chars[bisect_right(bounds, ch.cx)].append(ch)
        cells = [_cell(cs) for cs in chars]
        top = min(li.y0 for li in row)
        height = max(li.y1 - li.y0 for li in row)
        filled = sum(1 for c in cells if c.text)
        # a wrapped cell's second line: few cells, right under the previous row
        if len(out) > header and previous_bottom is not None and filled * 3 <= len(cells) \
                and top - previous_bottom < 0.5 * height:
            for prev, cell in zip(out[-1], cells):
                prev.text += cell.text
                prev.scores += cell.scores
        else:
            out.append(cells)
        previous_bottom = max(li.y1 for li in row)
    return Grid(out, ruled=False)


def _column_bounds(rows: list[list[Line]]) -> list[float]:
    """Borders between columns: the middles of the vertical strips that no row (or one in ten at most, such
    as a header read as one line) crosses, at least a third of a character wide."""
    chars = [c for row in rows for li in row for c in li.chars]
    if not chars:
        return []
    height = float(np.median([c.y1 - c.y0 for c in chars]))
    left, right = int(min(c.x0 for c in chars)), int(max(c.x1 for c in chars)) + 1
    used = np.zeros(right - left + 1, dtype=np.int32)
    for row in rows:
        seen = np.zeros_like(used, dtype=bool)
        for li in row:
            for c in li.chars:
                seen[int(c.x0) - left:int(c.x1) - left + 1] = True
        used += seen
    free = [x + left for x in np.flatnonzero(used <= max(1, len(rows) // 10))]
    return [(a + b) / 2 for a, b in _runs([int(x) for x in free]) if b - a >= height / 3]


def _runs(xs: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for x in xs:
        if runs and x == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], x)
        else:
            runs.append((x, x))
    return [r for r in runs if r[1] - r[0] >= 3]


def _merge(row: list[Line]) -> Line:
    chars = [c for li in row for c in li.chars]
    return Line(" ".join(li.text for li in row), min(li.score for li in row), min(li.x0 for li in row),
                min(li.y0 for li in row), max(li.x1 for li in row), max(li.y1 for li in row), chars)
