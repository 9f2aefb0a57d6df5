"""`platform import FILE`: read the national platform's activity list and put it in place of the
previous one; the matching itself is in ``pipeline/reporting/platform.py`` (done again at each export).

The file is read in the parser sandbox (calamine can abort a process on a malformed .xls).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parsers.platform_list import PlatformList, read_platform_file
from parsers.sandbox import SandboxFailure
from pipeline.admin.review import ReviewError

if TYPE_CHECKING:
    from pipeline.runtime.app import Pipeline  # the floor above: for the type only

MAX_BYTES = 200 * 1024 * 1024


def import_platform_list(pipeline: Pipeline, path: str | Path) -> str:
    """Read ``path``, store its rows in place of the previous import, and say how they matched."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ReviewError(f"{path.name}：文件超过 {MAX_BYTES // 1024 // 1024} MB，请先在 Excel 中筛选本市的活动")
        data = path.read_bytes()
    except OSError as err:
        raise ReviewError(f"{path}：无法读取文件（{err.strerror or err}）") from None
    result = pipeline.sandbox.run_many([(read_platform_file, (data, path.name))])[0]
    if isinstance(result, SandboxFailure):
        raise ReviewError(f"{path.name}：{result.reason}")
    if isinstance(result, str):
        raise ReviewError(result)
    if not result.rows:
        raise ReviewError(f"{path.name}：找到了表头（{'、'.join(result.columns.values())}），但下面没有活动行")
    rows = [_row_dict(r) for r in result.rows]
    pipeline.store.replace_platform_list(path.name, hashlib.sha256(data).hexdigest(), result.sheet,
                                         result.columns, result.notes, rows)
    data_now = pipeline.dataset()
    return summary_line(path.name, data_now, result)


def summary_line(name: str, data: dict[str, Any], listed: PlatformList) -> str:
    section = data["platform"]
    missing = [label for f, label in (("organizer", "主办/填报单位"), ("dates", "活动时间"), ("platform_id", "活动编号"))
               if not _has(listed.columns, f)]
    weak = f"；缺少列：{'、'.join(missing)}（匹配会弱一些）" if missing else ""
    return (f"平台活动表 {name}：{section['rows']} 行；与总结中的活动匹配 {section['matched']} 行，"
            f"仅在平台 {len(section['only_on_platform'])} 行；总结中的 {len(data['activities'])} 项活动有 "
            f"{section['unmatched_activities']} 项在平台上未找到；与单位所填“是否平台填报”不一致 "
            f"{len(section['disagreements'])} 项{weak}\n"
            f"platform: rows {section['rows']}, matched {section['matched']}, "
            f"unmatched {len(section['only_on_platform'])} (only on platform), "
            f"activities not found {section['unmatched_activities']}"
            + "".join(f"\n  {note}" for note in listed.notes[:5])
            + (f"\n  …另有 {len(listed.notes) - 5} 条说明" if len(listed.notes) > 5 else ""))


def _has(columns: dict[str, str], what: str) -> bool:
    if what == "organizer":
        return "organizer" in columns or "filer" in columns
    if what == "dates":
        return bool({"date", "date_start", "date_end"} & columns.keys())
    return what in columns


def _row_dict(row: Any) -> dict[str, Any]:
    return {"platform_id": row.platform_id, "title": row.title, "organizer": row.organizer, "filer": row.filer,
            "start_date": row.start_date and row.start_date.isoformat(),
            "end_date": row.end_date and row.end_date.isoformat(), "location": row.location,
            "region": row.region, "format": row.format, "section": row.section, "status": row.status,
            "line": row.line, "extra": row.extra}
