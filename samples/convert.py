"""Legacy and other office formats for the sample corpus, made by LibreOffice headless.

The generator writes .xlsx/.docx itself; .xls/.et/.ods/.doc/.wps/.pdf versions are what
LibreOffice makes of them (``soffice --headless --convert-to xls|ods|doc|pdf``), the way a
unit's WPS or an old Office saves them. Conversions are batched (one soffice call per
target format) and cached by content hash under a cache folder, so a corpus is converted
once per machine. Without soffice the cases that need it are left out (``available()``).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# target extension -> (the --convert-to filter, the extension soffice writes)
TARGETS = {"xls": ("xls:MS Excel 97", "xls"), "ods": ("ods", "ods"), "doc": ("doc:MS Word 97", "doc"),
           "pdf_writer": ("pdf:writer_pdf_Export", "pdf")}


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice() is not None


def cache_dir() -> Path:
    path = Path(os.environ.get("SAMPLES_CACHE") or Path(tempfile.gettempdir()) / "summary-samples-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class _Job:
    source: bytes
    source_ext: str  # xlsx | docx
    target: str  # a key of TARGETS
    sinks: list  # objects whose .data receives the result


class Converter:
    """Collects conversions while a corpus is planned, runs them in batches before rendering."""

    def __init__(self):
        self.jobs: dict[tuple[str, str], _Job] = {}

    def request(self, sink, source: bytes, source_ext: str, target: str) -> None:
        key = (hashlib.sha256(source).hexdigest(), target)
        job = self.jobs.setdefault(key, _Job(source, source_ext, target, []))
        job.sinks.append(sink)

    def run(self, timeout: float = 300) -> None:
        cache = cache_dir()
        todo: dict[str, list[tuple[str, _Job]]] = {}
        for (digest, target), job in self.jobs.items():
            path = cache / f"{digest}.{target}"
            if not path.is_file():
                todo.setdefault(target, []).append((digest, job))
        for target, items in todo.items():
            _convert_batch(target, items, cache, timeout)
        for (digest, target), job in self.jobs.items():
            data = (cache / f"{digest}.{target}").read_bytes()
            for sink in job.sinks:
                sink.data = data


def _convert_batch(target: str, items: list, cache: Path, timeout: float) -> None:
    exe = soffice()
    if exe is None:
        raise RuntimeError("soffice is not installed")
    flt, out_ext = TARGETS[target]
    work = Path(tempfile.mkdtemp(prefix="samples-soffice-"))
    try:
        srcs = []
        for digest, job in items:
            src = work / f"{digest}.{job.source_ext}"
            src.write_bytes(job.source)
            srcs.append(str(src))
        out = run_soffice(exe, work, srcs, flt, timeout)
        for digest, _ in items:
            made = out / f"{digest}.{out_ext}"
            if not made.is_file() or made.stat().st_size == 0:
                raise RuntimeError(f"soffice did not convert {digest[:12]} to {target}")
            tmp = cache / f".{digest}.{target}.tmp"
            tmp.write_bytes(made.read_bytes())
            os.replace(tmp, cache / f"{digest}.{target}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_soffice(exe: str, work: Path, sources: list[str], flt: str, timeout: float,
                infilter: str | None = None) -> Path:
    """One headless soffice call converting ``sources`` with filter ``flt`` into ``work/out``.

    The profile lives in ``work`` so that concurrent calls do not share one (concurrent soffice runs need separate profiles).
    """
    out = work / "out"
    out.mkdir(exist_ok=True)
    cmd = [exe, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
           "--nologo", "--nolockcheck", *([f"--infilter={infilter}"] if infilter else []),
           "--convert-to", flt, "--outdir", str(out), *sources]
    kwargs: dict[str, Any] = {} if sys.platform == "win32" else {"start_new_session": True}
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, HOME=str(work)), timeout=timeout, check=False, **kwargs)
    return out
