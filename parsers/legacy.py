"""Old Word files (.doc, .wps, RTF under .doc, .odt) through outside programs.

``legacy_to_docx`` converts with LibreOffice headless, so the .docx reader (tables included)
does the rest; ``legacy_to_text`` falls back to antiword/catdoc, which give text only.
Inputs go to temp files and programs get argument lists: never a shell string.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from parsers import ParserError

if sys.platform == "win32":
    resource = None
else:
    import resource

# Work folders are named so that a later call can sweep those left behind by a sandbox
# worker killed mid-conversion (a kill leaves no chance to clean up).
_PREFIX = "summary-legacy-"
_STALE_AFTER_S = 3600


class LegacyError(ParserError):
    """The converter exists but failed; the message is the reason, in Chinese."""

    @property
    def reason(self) -> str:
        return str(self)


def soffice_path() -> str | None:
    """LibreOffice on PATH, else where its installers put it (Windows: Program Files; macOS: Applications)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    for candidate in _installed_soffice():
        if candidate.is_file():
            return str(candidate)
    return None


def _installed_soffice() -> list[Path]:
    places = [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    for variable in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"):
        root = os.environ.get(variable)
        if root:
            places.append(Path(root) / "LibreOffice" / "program" / "soffice.exe")
    return places


def legacy_to_docx(data: bytes, kind: str, *, timeout: float = 60) -> bytes | None:
    """The document converted to .docx bytes; None when LibreOffice is not installed."""
    soffice = soffice_path()
    if not soffice:
        return None
    _sweep_stale()
    work = Path(tempfile.mkdtemp(prefix=_PREFIX))
    try:
        suffix = ".odt" if kind == "odt" else ".doc"  # WPS Writer files are Word files inside
        src, out = work / f"in{suffix}", work / "out"
        src.write_bytes(data)
        out.mkdir()
        cmd = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
               "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(src)]
        env = dict(os.environ, HOME=str(work))  # keep soffice away from the caller's home
        code = _run(cmd, timeout, env)
        if code is None:
            raise LegacyError("转换旧版Word文件超时，文件可能已损坏或过大")
        result = out / "in.docx"
        if not result.is_file() or result.stat().st_size == 0:
            raise LegacyError("旧版Word文件无法转换，文件可能已损坏")
        return result.read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def legacy_to_text(data: bytes, kind: str, *, timeout: float = 20) -> str | None:
    """Plain text by antiword, else catdoc; None when neither works."""
    work = Path(tempfile.mkdtemp(prefix=_PREFIX))
    try:
        src = work / "in.doc"
        src.write_bytes(data)
        attempts = []
        for tool, options in (("antiword", ["-m", "UTF-8.txt"]), ("catdoc", ["-d", "utf-8"])):
            exe = shutil.which(tool)
            if exe:
                attempts.append([exe, *options, str(src)])
        for cmd in attempts:
            text = _capture(cmd, timeout)
            if text and text.strip():
                return text
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sweep_stale() -> None:
    now = time.time()
    try:
        for entry in os.scandir(tempfile.gettempdir()):
            if entry.name.startswith(_PREFIX) and now - entry.stat().st_mtime > _STALE_AFTER_S:
                shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:
        pass


def _popen_kwargs() -> dict:
    kwargs: dict = {"stdin": subprocess.DEVNULL}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True  # own process group: a timeout kills soffice.bin too
        if resource is not None and _address_limited():  # we are in a sandbox worker
            kwargs["preexec_fn"] = _child_setup(_libc())
    return kwargs


def _address_limited() -> bool:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    return soft != hard


def _libc():
    try:
        import ctypes
        return ctypes.CDLL(None) if sys.platform.startswith("linux") else None
    except (ImportError, OSError):
        return None


def _child_setup(libc):
    """What the converter's process does before exec (prepared here: no imports after fork).

    The sandbox caps the address space for in-process parsers; LibreOffice reserves far more
    than it uses, and has its own timeout here: raise the soft limit to the hard one. And if
    the sandbox kills our worker, the converter dies with it (Linux PR_SET_PDEATHSIG).
    """
    _, hard = resource.getrlimit(resource.RLIMIT_AS)

    def setup() -> None:
        if libc is not None:
            libc.prctl(1, int(signal.SIGKILL))
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    return setup


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    proc.wait()


def _run(cmd: list[str], timeout: float, env: dict) -> int | None:
    """Exit code, or None on timeout (after killing the whole process group)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            **_popen_kwargs())
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return None
    finally:
        if proc.returncode is None:
            _kill_group(proc)


def _capture(cmd: list[str], timeout: float) -> str | None:
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **_popen_kwargs())
    except OSError:
        return None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return None
    if proc.returncode != 0:
        return None
    return out.decode("utf-8", "replace")
