"""PDF text with pypdf; a PDF with (almost) no text layer is a scan."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pypdf import PdfReader

from parsers import ParserError

# Fewer visible characters per page than this means pictures of pages, not text.
_SCAN_CHARS_PER_PAGE = 20


@dataclass
class PdfContent:
    text: str
    pages: int
    is_scan: bool  # no or almost no text layer


class PdfError(ParserError):
    """The PDF cannot be read; the message is the reason, in Chinese."""

    @property
    def reason(self) -> str:
        return str(self)


def read_pdf(data: bytes, *, max_pages: int = 50) -> PdfContent:
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files warn on every page
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt_or_raise(reader)
        pages = len(reader.pages)
    except PdfError:
        raise
    except Exception as e:
        raise PdfError("PDF文件已损坏，无法读取") from e
    if pages == 0:
        raise PdfError("PDF文件没有内容页")

    texts, failed = [], 0
    for i in range(min(pages, max_pages)):
        try:
            texts.append(reader.pages[i].extract_text() or "")
        except Exception:
            failed += 1
    if failed and failed == min(pages, max_pages):
        raise PdfError("PDF文件已损坏，无法读取文字")
    text = "\n".join(t.strip() for t in texts if t.strip())
    visible = sum(1 for c in text if not c.isspace())
    is_scan = visible < _SCAN_CHARS_PER_PAGE * min(pages, max_pages)
    return PdfContent(text=text, pages=pages, is_scan=is_scan)


def _decrypt_or_raise(reader: PdfReader) -> None:
    # Many PDFs are "encrypted" only against editing, with an empty password to open.
    try:
        if reader.decrypt(""):
            return
    except Exception:
        pass
    raise PdfError("文件设有密码，无法打开，请去掉密码后重新发送")


# --- tables and pages -----------------------------------------------------------------------------

def text_tables(data: bytes, *, max_pages: int = 50) -> list[tuple[int, list[list[str]]]]:
    """(page number, rows of cell strings) of each table found from the text's positions and ruling lines
    in a PDF with a text layer (one exported from Word or WPS). pdfplumber reads the drawn cell borders;
    a table drawn without borders is read by text alignment."""
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    found: list[tuple[int, list[list[str]]]] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages[:max_pages], 1):
            tables = page.extract_tables()
            if not tables:
                tables = page.extract_tables({"vertical_strategy": "text", "horizontal_strategy": "text"})
            for table in tables:
                found.append((number, [[_cell(c) for c in row] for row in table]))
            page.close()  # pdfplumber caches each page's objects until closed
    return found


def _cell(value: str | None) -> str:
    # a cell's text wraps at the column width: the line breaks are layout, not content
    return "".join((value or "").split("\n")).strip()


def render_pages(data: bytes, pages: list[int], *, dpi: int = 200, max_pixels: int = 12_000_000) -> list:
    """RGB arrays of the given pages (0-based) at ``dpi``, each capped at ``max_pixels`` (a page may be
    drawn at poster size)."""
    import numpy as np
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        out = []
        for i in pages:
            page = doc[i]
            w, h = page.get_size()
            scale = min(dpi / 72, (max_pixels / max(1.0, w * h)) ** 0.5)
            bitmap = page.render(scale=scale)
            out.append(np.asarray(bitmap.to_pil().convert("RGB")))
            page.close()
        return out
    finally:
        doc.close()
