"""Scans and photos of activity tables into proposed rows (``FileResult.proposed``).

A page is turned upright and deskewed, seen square-on when photographed at an angle, read by OCR, cut
into cells (``scan_grid``) and handed to the same table reader as Excel and Word, so header synonyms,
dates and counts behave the same. What OCR reads is never counted on its own: each row is a proposal a
person confirms, with its place in words ("扫描件第1页第3行"), the text it was read from, and a confidence
(the mean OCR score of its cells, lowered when its date or count does not parse).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from . import ocr_engine, scan_grid
from .parsed import RawActivity
from .scan_image import fit, upright
from .tables import extract_activities
from .values import normalize_activity

NO_TEXT = "{where}：未识别到文字（图片可能模糊、过暗或不是文字材料）"
NO_TABLE = "{where}：识别到文字，但其中没有活动表格（如有活动情况，请另附Word或Excel表格）"
_ROW = re.compile(r"!R(\d+)$")
_DOUBT_FLAGS = ("date_empty", "date_unparsed", "date_ambiguous", "participants_unparsed",
                "participants_ambiguous", "participants_offline_unparsed", "participants_online_unparsed")


@dataclass
class PageRead:
    proposed: list[RawActivity] = field(default_factory=list)
    text: str = ""  # every line read, top to bottom, for identifying the unit
    notes: list[str] = field(default_factory=list)
    turned: int = 0  # degrees turned clockwise to make the page upright


def read_page(img: np.ndarray, where: str) -> PageRead:
    """One page image (RGB). ``where`` names it in words: "扫描件第1页", "图片"."""
    if blank(img):  # the back of a duplex scan, an empty page: nothing for OCR to spend seconds on
        return PageRead(notes=[NO_TEXT.format(where=where)])
    img = fit(img)
    quad = scan_grid.table_quad(img)  # a photo taken at an angle: the table (or sheet) seen square-on first
    if quad is not None:
        img = scan_grid.unwarp(img, quad)
    small = fit(img, 1024)
    boxes = ocr_engine.detect_boxes(small)
    if not boxes:
        return PageRead(notes=[NO_TEXT.format(where=where)])
    up = upright(img, boxes, small.shape[1] / img.shape[1])
    page, turned = up.img, up.turned
    clean = _without_red(page)
    lines = ocr_engine.read_lines(clean)
    if _doubtful(lines):  # upside down (or 270°: a quarter turn too few) reads as gibberish
        other = ocr_engine.read_lines(np.ascontiguousarray(clean[::-1, ::-1]))
        if _weight(other) > _weight(lines) * 1.2:
            page, lines, turned = np.ascontiguousarray(page[::-1, ::-1]), other, (turned + 180) % 360
    text = "\n".join(" ".join(li.text for li in row) for row in scan_grid.text_rows(lines))
    if not lines:
        return PageRead(notes=[NO_TEXT.format(where=where)], turned=turned)
    proposed = _best_rows(page, lines, where)
    notes = [] if proposed else [NO_TABLE.format(where=where)]
    return PageRead(proposed, text, notes, turned)


def blank(img: np.ndarray) -> bool:
    """No print on the page: fewer than one pixel in 2,000 is darker than the paper by 50 levels. A page of text,
    even a sparse table, darkens one pixel in a hundred or more."""
    grey = img[::2, ::2].min(axis=2) if img.ndim == 3 else img[::2, ::2]
    paper = float(np.percentile(grey, 90))
    return float((grey < paper - 50).mean()) < 0.0005


def _without_red(img: np.ndarray) -> np.ndarray:
    """The red channel, against the local paper tone, as a grey page: black print stays black; a red seal or
    signature, light in that channel, turns white with the paper, so it neither hides the cells beneath it
    nor adds its own words to them. Uneven light and speckle go with it."""
    import cv2

    red = np.ascontiguousarray(img[:, :, 0])
    paper = cv2.morphologyEx(red, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    ratio = red.astype(np.float32) / np.maximum(paper.astype(np.float32), 1.0)
    grey = (np.clip((ratio - 0.25) / (0.8 - 0.25), 0.0, 1.0) * 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _weight(lines: list[ocr_engine.Line]) -> float:
    return sum(c.score for li in lines for c in li.chars)


def _doubtful(lines: list[ocr_engine.Line]) -> bool:
    scores = [c.score for li in lines for c in li.chars]
    return len(scores) < 10 or float(np.mean(scores)) < 0.85


def _best_rows(page: np.ndarray, lines: list[ocr_engine.Line], where: str) -> list[RawActivity]:
    """Rows of the grid that yields most activities: the ruled grid, or one built on a header row."""
    best: list[RawActivity] = []
    heights = [c.y1 - c.y0 for li in lines for c in li.chars]
    rules = scan_grid.find_rules(page, float(np.median(heights)) if heights else 0.0)
    if rules is not None:
        best = _rows_of(scan_grid.ruled_grid(rules, lines), where)
        if best:
            return best
    rows = scan_grid.text_rows(lines)
    for header in range(min(len(rows), 12)):
        if len(rows[header]) < 2:
            continue
        found = _rows_of(scan_grid.unruled_grid(rows, header), where)
        if len(found) > len(best):
            best = found
    return best


def _rows_of(grid: scan_grid.Grid, where: str) -> list[RawActivity]:
    activities, _ = extract_activities(grid.texts(), "ocr")
    first = _first_table_row(grid)
    out = []
    for raw in activities:
        match = _ROW.search(raw.source)
        if not match:
            continue
        r = int(match.group(1)) - 1
        row = grid.rows[r]
        raw.source = f"{where}第{r - first + 1}行"
        raw.evidence = " | ".join(c.text for c in row if c.text)
        raw.confidence = _confidence(raw, row)
        out.append(raw)
    return out


def _first_table_row(grid: scan_grid.Grid) -> int:
    """Rows are counted from the table's first row (its header), not from a title above it."""
    for r, row in enumerate(grid.rows):
        if sum(1 for c in row if c.text) >= 2:
            return r
    return 0


def _confidence(raw: RawActivity, row: list[scan_grid.Cell]) -> float:
    scores = [s for c in row for s in c.scores]
    value = float(np.mean(scores)) if scores else 0.5
    flags = normalize_activity(raw).flags
    for flag in flags:
        if flag in _DOUBT_FLAGS:
            value *= 0.7
    return round(max(0.0, min(1.0, value)), 3)
