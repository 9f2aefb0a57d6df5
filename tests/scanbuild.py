"""Scans and photos of tables that LibreOffice laid out, degraded the way paper and phones degrade them.

A table is written as HTML, LibreOffice turns it into a PDF (``lobuild.convert``, cached), pdfium rasterises
the page at 150–200 dpi, and then: a slight rotation, a red stamp (a circle with text) over some cells,
noise; or, for a phone photo, a perspective view on a desk with uneven light and JPEG compression.
Everything is seeded, so a page is the same on every run.
"""
from __future__ import annotations

import io
import math
import struct
import zlib
from html import escape

import lobuild as lo
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def table_pdf(rows: list[list], title: str = "", border: bool = True, after: list[str] = ()) -> bytes:
    """A PDF LibreOffice Writer made from an HTML table (``lo.M`` cells span)."""
    html = lo.html_table(rows, title).decode("utf-8")
    if not border:
        html = html.replace('<table border="1">', '<table border="0" cellpadding="6">')
    if after:
        html = html.replace("</body>", "".join(f"<p>{escape(p)}</p>" for p in after) + "</body>")
    return lo.convert({"t.html": html.encode("utf-8")}, "pdf", lo.IMPORT_HTML["writer"])["t.html"]


def prose_pdf(paragraphs: list[str]) -> bytes:
    html = ('<html><head><meta charset="utf-8"></head><body>'
            + "".join(f"<p>{escape(p)}</p>" for p in paragraphs) + "</body></html>")
    return lo.convert({"p.html": html.encode("utf-8")}, "pdf", lo.IMPORT_HTML["writer"])["p.html"]


def rasterise(pdf: bytes, dpi: int = 200, page: int = 0) -> Image.Image:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[page].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        doc.close()


def stamp(img: Image.Image, centre: tuple[int, int], radius: int, text: str = "科学技术协会") -> Image.Image:
    """A red seal: a ring, a star and the unit's name, printed over whatever lies beneath."""
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    red = (215, 30, 35, 210)
    x, y = centre
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=red, width=max(4, radius // 18))
    star = [(x + radius * 0.3 * (1 if k % 2 == 0 else 0.4) * math.cos(math.radians(-90 + 36 * k)),
             y - radius * 0.1 + radius * 0.3 * (1 if k % 2 == 0 else 0.4) * math.sin(math.radians(-90 + 36 * k)))
            for k in range(10)]
    draw.polygon(star, fill=red)
    font = ImageFont.truetype(FONT, max(12, radius // 5))
    draw.text((x, y + radius * 0.45), text, fill=red, font=font, anchor="mm")
    out = img.convert("RGBA")
    out.alpha_composite(layer)
    return out.convert("RGB")


def noisy(img: Image.Image, seed: int, sigma: float = 10.0, specks: float = 0.002) -> Image.Image:
    rng = np.random.default_rng(seed)
    a = np.asarray(img).astype(np.float32)
    a += rng.normal(0, sigma, a.shape[:2])[..., None]
    mask = rng.random(a.shape[:2])
    a[mask < specks / 2] = 0
    a[mask > 1 - specks / 2] = 255
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def rotated(img: Image.Image, degrees: float) -> Image.Image:
    """Turned counter-clockwise by ``degrees``, as a sheet laid askew on the scanner glass."""
    return img.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255))


def scanned(img: Image.Image, seed: int, degrees: float, seal_at: tuple[int, int] | None = None) -> Image.Image:
    if seal_at is not None:
        img = stamp(img, seal_at, radius=img.width // 11)
    return noisy(rotated(img, degrees), seed)


def photographed(img: Image.Image, seed: int) -> Image.Image:
    """The page on a desk, seen from above and a little to the front: a trapezoid, uneven light, blur."""
    import cv2

    w, h = img.size
    page = np.asarray(img)
    cw, ch = int(w * 1.15), int(h * 1.1)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[cw * 0.10, ch * 0.06], [cw * 0.88, ch * 0.08], [cw * 0.96, ch * 0.95], [cw * 0.03, ch * 0.93]])
    m = cv2.getPerspectiveTransform(src, dst)
    desk = cv2.warpPerspective(page, m, (cw, ch), borderValue=(120, 110, 100))
    light = np.linspace(0.82, 1.0, cw, dtype=np.float32)[None, :, None]
    shot = np.clip(desk.astype(np.float32) * light, 0, 255).astype(np.uint8)
    out = Image.fromarray(shot).filter(ImageFilter.GaussianBlur(0.8))
    out = noisy(out, seed, sigma=6, specks=0.0)
    return Image.open(io.BytesIO(encoded(out, "JPEG", quality=75)))


def encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def image_pdf(pages: list[Image.Image], dpi: int = 200) -> bytes:
    """A PDF of page images only, as a scanner writes it."""
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return buf.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header declaring ``width`` x ``height`` pixels, with a few bytes of data: the kind of
    file that expands to gigabytes when a reader decodes before checking."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


def docx_with_picture(picture: bytes, paragraphs: list[str]) -> bytes:
    """A Word file whose activity table is a picture (pasted from a scan)."""
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    doc.add_picture(io.BytesIO(picture), width=Cm(16))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
