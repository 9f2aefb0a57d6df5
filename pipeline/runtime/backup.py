"""`backup --out DIR`: a copy of data_dir that can be restored while `serve` keeps running.

The ledger is copied first, at one instant, by SQLite's backup API; then the raw-mail archive. The archive
only grows and every message is archived before the ledger records it, so each message the copied ledger
knows has its raw mail in the copy. Restoring is using the folder as ``data_dir``: mail the copy knows is
not fetched or read again; mail that came later is fetched from the server as new.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import PipelineError

if TYPE_CHECKING:
    from pipeline.runtime.app import Pipeline

LEDGER = "ledger.sqlite3"
KEPT = ("archive",)  # what else of data_dir a restore needs (logs, locks and digests are not)


def backup(pipeline: Pipeline, out: Path) -> str:
    out = Path(out)
    if (out / LEDGER).exists():
        raise PipelineError(f"{out} already holds a backup; give an empty or new folder")
    if out.resolve() == Path(pipeline.config.data_dir).resolve():
        raise PipelineError("the backup folder must not be data_dir itself")
    out.mkdir(parents=True, exist_ok=True)
    pipeline.store.backup_to(out / LEDGER)
    files = 0
    for name in KEPT:
        source = Path(pipeline.config.data_dir) / name
        if source.is_dir():
            shutil.copytree(source, out / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".tmp-*"))  # a mail being written now is not yet known
            files += sum(1 for f in (out / name).rglob("*") if f.is_file())
    return f"backup written to {out}: the ledger and {files} archived mail file(s)"
