"""The page of a scan, a photo or a Word file's picture that proposed rows were read from, as a PNG beside them.

Drawn once from the archived raw mail in the parser sandbox (``parsers.page_image``: no OCR, the readers'
size limits) and kept under ``data_dir/page_images`` by (message sha256, file, page); later requests are
served from there. A page that cannot be drawn keeps its reason there instead, and the review page shows
that reason in a short note rather than a broken image.
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from flask import Response, abort, request, send_file, url_for

from pipeline.runtime.console.blueprint import bp, pipeline
from pipeline.runtime.console.state import state

CACHE = "page_images"
_render_lock = threading.Lock()  # one page drawn at a time: a review page asks for several at once
STATS = {"hits": 0, "renders": 0, "failures": 0}  # since the console started (for the benchmark and logs)


def cache_path(sha256: str, file: str, page: int) -> Path:
    """Where a page's PNG is kept; ``.txt`` beside it holds why it could not be drawn."""
    name = hashlib.sha256(file.encode("utf-8")).hexdigest()[:16]
    return state().config.data_dir / CACHE / sha256[:2] / f"{sha256}-{name}-{page}.png"


def page_url(key: str, file: str | None, page: int | None) -> str | None:
    """The URL of the page image a proposed row was read from; None for rows read from prose."""
    if not file or not page:
        return None
    return url_for("console.page_image", key=key, file=file, page=page)


def known_failure(key: str, file: str | None, page: int | None) -> str | None:
    """Why the page could not be drawn, when an earlier request found out (a file check, no drawing)."""
    message = pipeline().store.message(key) if file and page else None
    if message is None or file is None or page is None:
        return None
    why = cache_path(message.sha256, file, page).with_suffix(".txt")
    return why.read_text(encoding="utf-8") if why.exists() else None


@bp.route("/review/page.png")
def page_image() -> Response:
    p = pipeline()
    message = p.store.message(request.args.get("key", ""))
    file = request.args.get("file", "")
    try:
        page = int(request.args.get("page", ""))
    except ValueError:
        abort(404)
    if message is None or not file or page < 1:
        abort(404)
    path = cache_path(message.sha256, file, page)
    if not path.exists() and not path.with_suffix(".txt").exists():
        with _render_lock:
            if not path.exists() and not path.with_suffix(".txt").exists():
                _render(message.sha256, file, page, path)
    else:
        STATS["hits"] += 1
    if path.exists():
        response = send_file(path, mimetype="image/png", max_age=86400)
        response.cache_control.public = False
        response.cache_control.private = True  # a unit's paper: kept by this browser only
        return response
    return Response(path.with_suffix(".txt").read_text(encoding="utf-8"), status=404,
                    mimetype="text/plain; charset=utf-8")


def _render(sha256: str, file: str, page: int, path: Path) -> None:
    """Draw the page in the parser sandbox and keep the PNG, or the reason it could not be drawn."""
    from parsers.page_image import render_page_png
    from parsers.sandbox import SandboxFailure, SandboxUnavailable

    p = pipeline()
    if not p.archive.has(sha256):
        out: bytes | str = "原始邮件已不在存档中"
    else:
        try:
            [result] = p.sandbox.run_many([(render_page_png, (p.archive.get(sha256), file, page))])
        except SandboxUnavailable:
            abort(503)  # the machine, not the page: nothing is kept, a later request tries again
        out = "无法显示该页（文件过大或已损坏）" if isinstance(result, SandboxFailure) else result
    path.parent.mkdir(parents=True, exist_ok=True)
    target, body = (path, out) if isinstance(out, bytes) else (path.with_suffix(".txt"), out.encode("utf-8"))
    temporary = target.with_name(target.name + ".part")
    temporary.write_bytes(body)
    temporary.replace(target)
    STATS["renders" if isinstance(out, bytes) else "failures"] += 1
