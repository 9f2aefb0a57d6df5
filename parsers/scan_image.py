"""Page images made ready for OCR: decoded within limits, turned upright, deskewed.

A file's header gives its size before any pixel is decoded, so a decompression bomb (a tiny PNG that
expands to gigapixels) is refused by its dimensions; Pillow's own MAX_IMAGE_PIXELS is set to the same
limit for whatever path opens images without asking first.
"""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from parsers import ParserError

MAX_PIXELS = 60_000_000  # a 50-megapixel phone photo passes; a 600 dpi A3 scan (70 Mpx) does not
MAX_SIDE = 2000  # pages are worked on at most this large (~170 dpi A4): enough for 10 pt text, ~50 MB less than 2400
MAX_FRAMES = 20  # pages of a multi-page TIFF
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

TOO_LARGE = "图片尺寸过大（{w}×{h}像素），超过处理上限，未读取；请缩小或另存为较小的图片后重新发送"
BROKEN = "图片文件已损坏或格式无法识别，未读取；请重新拍照或扫描后发送"


class ImageRefused(ParserError):
    """The image is not read; the message says why, in Chinese."""


@dataclass
class Upright:
    img: np.ndarray  # RGB, uint8
    turned: int  # degrees turned clockwise to make it upright (0, 90, 180, 270)
    skew: float  # degrees of rotation removed


def load_pages(data: bytes, max_pages: int = MAX_FRAMES) -> tuple[list[np.ndarray], int]:
    """RGB arrays of an image file's pages (frames), at most ``max_pages``; and how many it has."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = _header_only(data)
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ImageRefused(TOO_LARGE.format(w=w, h=h))
            frames = getattr(im, "n_frames", 1)
            pages = []
            for i in range(min(frames, max_pages)):
                im.seek(i)
                pages.append(_rgb(im))
            return pages, frames
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(TOO_LARGE.format(w="?", h="?")) from None
    except Exception:
        raise ImageRefused(BROKEN) from None


def _header_only(data: bytes) -> Image.Image:
    """Opened, not decoded: Pillow reads the header only, so its own bomb check (which would refuse without
    saying the size) is lifted for this one step; ``load_pages`` judges the size itself."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        return Image.open(io.BytesIO(data))
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _rgb(im: Image.Image) -> np.ndarray:
    if im.format == "JPEG":
        im.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode a large JPEG at a reduced scale directly
    frame = ImageOps.exif_transpose(im) or im
    if frame.mode in ("RGBA", "LA", "P"):
        frame = frame.convert("RGBA")
        white = Image.new("RGBA", frame.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(white, frame)
    frame = frame.convert("RGB")
    frame.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.asarray(frame)


def fit(img: np.ndarray, side: int = MAX_SIDE) -> np.ndarray:
    h, w = img.shape[:2]
    if max(h, w) <= side:
        return img
    import cv2

    k = side / max(h, w)
    return cv2.resize(img, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)


def upright(img: np.ndarray, boxes: list[np.ndarray], scale: float) -> Upright:
    """Turn a page a quarter when its text lines stand upright, and undo a slight skew. ``boxes`` are text
    lines found on a copy ``scale`` times the size. A page upside down is told apart later, by how well it
    reads (``reads_better_turned``)."""
    turned = 0
    if _sideways(boxes):
        img, turned = np.ascontiguousarray(np.rot90(img, k=-1)), 90  # clockwise
        boxes = []
    skew = _skew(boxes) if boxes else 0.0
    if abs(skew) >= 0.3:
        img = rotate(img, skew)
    return Upright(img, turned, skew)


def _sideways(boxes: list[np.ndarray]) -> bool:
    tall = wide = 0
    for box in boxes:
        w = float(np.linalg.norm(box[1] - box[0]))
        h = float(np.linalg.norm(box[3] - box[0]))
        if max(w, h) < 1.8 * min(w, h):
            continue  # a square box (one or two characters) says nothing
        tall += h > w
        wide += w > h
    return tall > wide and tall >= 3


def _skew(boxes: list[np.ndarray]) -> float:
    """Median angle (degrees, counter-clockwise positive in image terms) of long text lines."""
    angles = []
    for box in boxes:
        dx, dy = float(box[1][0] - box[0][0]), float(box[1][1] - box[0][1])
        if math.hypot(dx, dy) < 3 * float(np.linalg.norm(box[3] - box[0])):
            continue
        angles.append(math.degrees(math.atan2(dy, dx)))
    if len(angles) < 3:
        return 0.0
    angle = float(np.median(angles))
    return angle if abs(angle) <= 15 else 0.0


def rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate about the centre by ``degrees`` (positive: text sloping down to the right becomes level),
    growing the canvas so no corner is cut; new area white."""
    import cv2

    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
