"""Which pictures of a file are read by OCR, within what limits, and what the file's result then says.

Image attachments, PDF pages without a text layer and pictures inside a Word file (a table pasted as a
picture; only when the Word file's own tables gave no activity) are read page by page (``scan.read_page``).
Their rows go to ``FileResult.proposed``, never to ``activities``: a person confirms them.

OCR costs seconds a page, so the caller may defer it (``deferred``): files are then read without OCR and
``pending()`` says that some picture waits, so that the ingest reads that mail again, with OCR, once the
ordinary mail of the batch is acknowledged.
"""
from __future__ import annotations

import io
import re
import time
import zipfile
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from .parsed import LIMIT_FLAG, FileResult, PageRef
from .scan import PageRead, read_page
from .scan_image import ImageRefused, load_pages

MAX_PAGES = 10  # pages read by OCR in one file (~3 s each on 2 cores)
MAX_SECONDS = 75.0  # OCR time for one file: stop early, with a note, rather than be killed at the sandbox's limit
MAX_DOCX_IMAGES = 6
MIN_TABLE_PIXELS = 300 * 200  # smaller pictures in a Word file are logos and icons
PAGES_CAPPED = LIMIT_FLAG + "“{name}”共{total}页扫描页，只识别了前{done}页，其余未读取"
TIME_CAPPED = LIMIT_FLAG + "“{name}”识别用时超出上限，只识别了前{done}页（共{total}页），其余未读取"
PAGE_FAILED = "{where}无法读取（图像数据损坏），已跳过"
PROPOSED = "“{name}”是图片或扫描件：已识别出{n}行活动，待人工核对后计入"

_defer: ContextVar[bool] = ContextVar("defer_ocr", default=False)
_pending: ContextVar[list[str] | None] = ContextVar("ocr_pending", default=None)


@contextmanager
def deferred() -> Iterator[list[str]]:
    """Within this block files are read without OCR; the yielded list collects the files that wait for it."""
    waiting: list[str] = []
    t1, t2 = _defer.set(True), _pending.set(waiting)
    try:
        yield waiting
    finally:
        _defer.reset(t1)
        _pending.reset(t2)


def _skip(name: str) -> bool:
    if not _defer.get():
        return False
    waiting = _pending.get()
    if waiting is not None:
        waiting.append(name)
    return True


def read_image_file(result: FileResult, data: bytes) -> None:
    """An image attachment (.jpg .png .bmp .tif …)."""
    result.is_scan = True
    if _skip(result.name):
        return
    try:
        pages, total = load_pages(data, MAX_PAGES)
    except ImageRefused as e:
        result.status, result.error = "failed", str(e)
        return
    label = (lambda i: f"图片第{i}页") if total > 1 else (lambda i: "图片")
    _read_pages(result, [(label(i + 1), lambda p=p: p) for i, p in enumerate(pages)], total)


def read_pdf_scan(result: FileResult, data: bytes, pages: int) -> None:
    """The pages of a PDF without a text layer."""
    from .pdf import render_pages

    result.is_scan = True
    if _skip(result.name):
        return
    jobs = [(f"扫描件第{i + 1}页", lambda i=i: render_pages(data, [i])[0]) for i in range(min(pages, MAX_PAGES))]
    _read_pages(result, jobs, pages)


def read_docx_pictures(result: FileResult, data: bytes) -> None:
    """Pictures inside a Word file whose tables gave nothing: a table pasted as a picture."""
    pictures = docx_pictures(data)
    if not pictures or _skip(result.name):
        return
    found = PageRead()
    for number, blob in pictures[:MAX_DOCX_IMAGES]:
        try:
            pages, _ = load_pages(blob, 1)
        except ImageRefused:
            continue
        where = f"文档中的图片{number}"
        try:
            page = read_page(pages[0], where)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - one bad picture must not lose the Word file's text and the others
            found.notes.append(PAGE_FAILED.format(where=where))
            continue
        for raw in page.proposed:
            raw.page = PageRef(result.name, number)
        found.proposed += page.proposed
        if page.proposed:
            found.notes += page.notes
    if found.proposed:
        result.proposed += found.proposed
        result.notes.append(PROPOSED.format(name=_base(result.name), n=len(found.proposed)))


def _read_pages(result: FileResult, jobs: list, total: int) -> None:
    started = time.monotonic()
    texts: list[str] = []
    done = 0
    for number, (where, page) in enumerate(jobs, 1):
        if time.monotonic() - started > MAX_SECONDS:
            result.notes.append(TIME_CAPPED.format(name=_base(result.name), done=done, total=total))
            break
        try:
            read = read_page(page(), where)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - one bad page (a broken image stream) must not lose the others
            read = PageRead(notes=[PAGE_FAILED.format(where=where)])
        done += 1
        for raw in read.proposed:
            raw.page = PageRef(result.name, number)
        result.proposed += read.proposed
        result.notes += read.notes
        if read.turned:
            result.notes.append(f"{where}是倒置或横置的，已旋转{read.turned}度后识别")
        if read.text:
            texts.append(read.text)
    else:
        if total > len(jobs):
            result.notes.append(PAGES_CAPPED.format(name=_base(result.name), total=total, done=done))
    result.text = (result.text + "\n" + "\n".join(texts)).strip()[:20_000]
    if result.proposed:
        result.notes.append(PROPOSED.format(name=_base(result.name), n=len(result.proposed)))


def docx_pictures(data: bytes) -> list[tuple[int, bytes]]:
    """(number, bytes) of the pictures in word/media large enough to hold a table, in their order."""
    from PIL import Image

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return []
    names = [n for n in zf.namelist() if n.startswith("word/media/")
             and n.lower().rsplit(".", 1)[-1] in ("png", "jpg", "jpeg", "bmp", "tif", "tiff", "gif")]
    names.sort(key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)])
    out = []
    for number, name in enumerate(names, 1):
        if zf.getinfo(name).file_size > 30 * 2**20:
            continue
        blob = zf.read(name)
        try:
            w, h = Image.open(io.BytesIO(blob)).size  # the header only
        except Exception:
            continue
        if w * h >= MIN_TABLE_PIXELS:
            out.append((number, blob))
    return out


def _base(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]
