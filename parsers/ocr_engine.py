"""Text and its positions on a page image, with RapidOCR (ONNX models shipped inside the wheel: no download).

One engine per process, loaded on first use (~0.7 s); the sandbox's workers keep it between calls. Every
character comes with its box and score, so the grid step can split a text line that the detector ran
across a cell border ("友谊街道社区300").
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

# The detector sees the page at most this large: ~550 MB peak for an A4 page at 200 dpi, against
# ~950 MB at RapidOCR's default (2000 px, upscaled by the shorter side). Text 10 pt at 200 dpi stays
# ~20 px high, enough for the recognizer.
_DET_MAX_SIDE = 1280
_ENGINE: Any = None


@dataclass
class Char:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float
    line: int  # index of its OCR line on the page

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class Line:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float
    chars: list[Char]


def threads() -> int:
    """ONNX threads: two at most (OCR runs one mail at a time, after the cycle's other mail is settled);
    SUMMARY_OCR_THREADS overrides (1 was faster on cores shared with other busy processes)."""
    try:
        return max(1, int(os.environ.get("SUMMARY_OCR_THREADS", "") or min(2, os.cpu_count() or 1)))
    except ValueError:
        return 1


def engine() -> Any:
    global _ENGINE
    if _ENGINE is None:
        from rapidocr import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        _ENGINE = RapidOCR(params={
            "Global.log_level": "error", "Global.max_side_len": 4000,
            "Det.limit_type": "max", "Det.limit_side_len": _DET_MAX_SIDE,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads(),
            "EngineConfig.onnxruntime.inter_op_num_threads": 1})
    return _ENGINE


def detect_boxes(img: np.ndarray) -> list[np.ndarray]:
    """Text line quadrilaterals (4x2 arrays) only, no recognition: for orientation and skew."""
    out = engine()(img, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(out, "boxes", None)
    return [] if boxes is None else [np.asarray(b, dtype=np.float32) for b in boxes]


def read_lines(img: np.ndarray) -> list[Line]:
    """Every text line of an upright RGB page, with its characters."""
    out = engine()(img, use_det=True, use_cls=False, use_rec=True, return_word_box=True)
    if getattr(out, "boxes", None) is None or out.txts is None:
        return []
    words = out.word_results or [()] * len(out.txts)
    lines = []
    for i, (box, text, score) in enumerate(zip(out.boxes, out.txts, out.scores)):
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        chars = [_char(w, i) for w in (words[i] if i < len(words) else ()) if w and str(w[0]).strip()]
        line = Line(str(text), float(score), min(xs), min(ys), max(xs), max(ys), chars)
        if not line.chars and line.text.strip():  # no character boxes: spread the text over the line
            line.chars = _spread(line, i)
        lines.append(line)
    return lines


def _char(word: Any, line: int) -> Char:
    text, score, box = word
    xs, ys = [p[0] for p in box], [p[1] for p in box]
    return Char(str(text), float(score), min(xs), min(ys), max(xs), max(ys), line)


def _spread(line: Line, index: int) -> list[Char]:
    text = line.text.strip()
    step = (line.x1 - line.x0) / max(1, len(text))
    return [Char(ch, line.score, line.x0 + k * step, line.y0, line.x0 + (k + 1) * step, line.y1, index)
            for k, ch in enumerate(text)]
