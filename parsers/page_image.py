"""One page of a mail's attachment as a PNG, for showing a scan or photo beside the rows read from it.

The file is found again in the archived raw mail by the name ingestion gave it (``PageRef.file``: the
attachment's label, "包.zip/扫描.pdf" for a member of an archive) and drawn without OCR: a PDF page by
pdfium, an image's frame as decoded for reading, a Word file's picture by its number. Decoding keeps the
readers' limits (``scan_image.load_pages`` refuses a decompression bomb by its header); the PNG is at most
``MAX_SIDE`` pixels high or wide, cut to where there is print. Runs in the parser sandbox, like every reader.
"""
from __future__ import annotations

import io

import numpy as np

from parsers import ParserError

from .detect import detect_kind
from .mime import parse_message
from .read_mail import attachment_label
from .scan_image import ImageRefused, load_pages

MAX_SIDE = 1400  # the longer side: enough for 10 pt text of a whole A4 page
NOT_FOUND = "原件中未找到该文件"
NO_PAGE = "原件中没有第{page}页"
CANNOT = "无法显示该页（{why}）"


class PageUnavailable(ParserError):
    """The page cannot be drawn; the message says why, in Chinese."""


def render_page_png(raw: bytes, file: str, page: int) -> bytes | str:
    """Page ``page`` (from 1) of the file named ``file`` in the raw mail, as PNG bytes; or why not (Chinese)."""
    try:
        data = _find(raw, file)
        return _png(_draw(file, data, page))
    except PageUnavailable as e:
        return str(e)
    except ImageRefused as e:
        return CANNOT.format(why=str(e).split("，")[0])
    except (ParserError, ValueError, OSError, RuntimeError):  # a damaged zip, winmail.dat or PDF (pdfium)
        return CANNOT.format(why="原件已损坏")


def _find(raw: bytes, file: str) -> bytes:
    envelope = parse_message(raw)
    for attachment in envelope.attachments:
        label = attachment_label(attachment.name, attachment.path)
        if label == file:
            return attachment.data
        if file.startswith(label + "/"):
            return _member(attachment.data, label, file[len(label) + 1:])
    raise PageUnavailable(NOT_FOUND)


def _member(data: bytes, name: str, inner: str) -> bytes:
    """A file inside an archive (a zip or a winmail.dat, nested as ingestion nests them)."""
    from .tnef import unpack_tnef
    from .zipread import open_zip

    kind = detect_kind(name, data)
    if kind == "zip":
        members = [(m.name, m.data) for m in open_zip(data)[0]]
    elif kind == "tnef":
        members = [(c.name, c.data) for c in unpack_tnef(data)]
    else:
        raise PageUnavailable(NOT_FOUND)
    for member, blob in members:
        if member == inner:
            return blob
        if inner.startswith(member + "/"):
            return _member(blob, member, inner[len(member) + 1:])
    raise PageUnavailable(NOT_FOUND)


def _draw(name: str, data: bytes, page: int) -> np.ndarray:
    """The page as an RGB array, drawn the way the reader saw it before turning and straightening."""
    kind = detect_kind(name, data)
    if kind == "pdf":
        import pypdfium2 as pdfium

        from .pdf import render_pages

        doc = pdfium.PdfDocument(data)
        count = len(doc)
        doc.close()
        if not 1 <= page <= count:
            raise PageUnavailable(NO_PAGE.format(page=page))
        return render_pages(data, [page - 1], dpi=150, max_pixels=6_000_000)[0]
    if kind == "image":
        pages, total = load_pages(data, page)
        if not 1 <= page <= min(total, len(pages)):
            raise PageUnavailable(NO_PAGE.format(page=page))
        return pages[page - 1]
    if kind == "docx":
        from .scan_files import docx_pictures

        picture = dict(docx_pictures(data)).get(page)
        if picture is None:
            raise PageUnavailable(f"Word文件中没有第{page}张图片")
        return load_pages(picture, 1)[0][0]
    raise PageUnavailable(CANNOT.format(why="不是扫描件或图片"))


def _inked(rgb: np.ndarray) -> np.ndarray:
    """The page cut to where there is print (with a margin): a table in the top third of an A4 scan is then
    shown large enough to read beside its rows. Scattered specks of scanner noise do not count as print."""
    dark = rgb.mean(axis=2) < 128
    rows = np.flatnonzero(dark.mean(axis=1) > 0.005)
    cols = np.flatnonzero(dark.mean(axis=0) > 0.005)
    if len(rows) < 2 or len(cols) < 2:
        return rgb
    h, w = dark.shape
    pad = int(0.03 * max(h, w))
    top, bottom = max(0, rows[0] - pad), min(h, rows[-1] + pad)
    left, right = max(0, cols[0] - pad), min(w, cols[-1] + pad)
    if (bottom - top) * (right - left) > 0.8 * h * w:
        return rgb
    return rgb[top:bottom, left:right]


def _png(rgb: np.ndarray) -> bytes:
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(_inked(rgb)))
    im.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=6)
    return out.getvalue()
