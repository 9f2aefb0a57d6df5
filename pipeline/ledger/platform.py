"""The national platform's activity list, as last imported (``pipeline/admin/platform_import.py``)."""
from __future__ import annotations

import json
import sqlite3

from pipeline.ledger.base import Ledger, iso, utcnow

_FIELDS = ("platform_id", "title", "organizer", "filer", "start_date", "end_date", "location", "region",
           "format", "section", "status", "line")


class PlatformList(Ledger):
    def replace_platform_list(self, file: str, sha256: str, sheet: str, columns: dict[str, str],
                              notes: list[str], rows: list[dict]) -> int:
        """Store an imported list in place of the previous one (one transaction); returns its import id.
        ``rows``: dicts with the columns of ``platform_rows`` (dates ISO, ``extra`` a dict)."""
        with self.transaction() as db:
            db.execute("DELETE FROM platform_rows")
            db.execute("DELETE FROM platform_imports")
            import_id = db.execute(
                "INSERT INTO platform_imports(at, file, sha256, sheet, columns, notes, rows) VALUES (?,?,?,?,?,?,?)",
                (iso(utcnow()), file, sha256, sheet, json.dumps(columns, ensure_ascii=False),
                 json.dumps(notes, ensure_ascii=False), len(rows))).lastrowid
            db.executemany(
                f"INSERT INTO platform_rows(import_id, seq, {', '.join(_FIELDS)}, extra)"
                f" VALUES (?, ?, {', '.join('?' * len(_FIELDS))}, ?)",
                [(import_id, i, *(r.get(f) for f in _FIELDS), json.dumps(r.get("extra") or {}, ensure_ascii=False))
                 for i, r in enumerate(rows)])
        return int(import_id or 0)

    def platform_import(self) -> sqlite3.Row | None:
        """The current import (file, when, columns found), or None when no list was ever imported."""
        return self.db.execute("SELECT * FROM platform_imports ORDER BY id DESC LIMIT 1").fetchone()

    def platform_rows(self) -> list[dict]:
        rows = self.db.execute("SELECT * FROM platform_rows WHERE import_id = (SELECT MAX(id) FROM platform_imports)"
                               " ORDER BY seq").fetchall()
        return [{**{k: r[k] for k in r.keys()}, "extra": json.loads(r["extra"] or "{}")} for r in rows]
