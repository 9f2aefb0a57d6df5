"""The dataset as the contract shapes it, and written as JSON, CSV or an Excel workbook."""
from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.campaign.registry import Registry
from pipeline.campaign.standing import current_list_keys, message_statuses, unit_progress
from pipeline.config import Config
from pipeline.ledger.store import Store
from pipeline.reporting.platform import platform_view
from pipeline.reporting.workbook import neutralise, write_workbook

ACTIVITY_FIELDS = ["unit_id", "message_id", "title", "start_date", "end_date", "location", "organizer", "format",
                   "participants", "participants_offline", "participants_online", "source", "platform_id"]
UNIT_FIELDS = ["unit_id", "name", "category", "required", "reported", "met", "submitted", "late",
               "last_received_at", "platform_activities"]
PROPOSED_FIELDS = ["message_id", "row", "unit_id", "title", "start_date", "end_date", "location", "organizer", "format",
                   "participants", "source", "confidence", "evidence"]
MESSAGE_FIELDS = ["message_id", "received_at", "sender", "subject", "status", "reason", "unit_id", "late", "files"]
HEADERS_CN = {
    "unit_id": "单位编号", "name": "单位名称", "category": "类别", "required": "应报活动数", "reported": "已报活动数",
    "met": "是否达标", "submitted": "是否报送", "late": "是否逾期", "last_received_at": "最近报送时间",
    "message_id": "邮件编号", "title": "活动名称", "start_date": "开始日期", "end_date": "结束日期",
    "location": "活动地点", "organizer": "主办单位", "format": "活动形式", "participants": "参与人数",
    "participants_offline": "线下人数", "participants_online": "线上人数", "source": "来源（文件!工作表!行）",
    "received_at": "收到时间", "sender": "发件人", "subject": "主题", "status": "状态", "reason": "说明",
    "files": "附件", "platform_id": "平台活动编号", "platform_activities": "平台活动数",
    "row": "行号", "confidence": "可信度", "evidence": "原文",
}


def dataset(config: Config, registry: Registry, store: Store, as_of: date | None = None) -> dict[str, Any]:
    """The export; with ``as_of``, only mail received by the end of that day (campaign time zone)."""
    rows = store.messages()
    if as_of is not None:
        rows = [m for m in rows if m.received[:10] <= as_of.isoformat()]
    statuses = message_statuses(rows)
    counts = store.unit_activity_counts()  # per (message key, unit); filtered rows never ask for the others
    progress = unit_progress(registry, config.campaign.quotas, rows, statuses, counts)
    current = current_list_keys(rows, statuses)
    files_by_key: dict[str, list[dict]] = {}
    for f in store.files():
        files_by_key.setdefault(f["key"], []).append(
            {"name": f["name"], "kind": f["kind"], "status": f["status"], "error": f["error"]})
    message_id = {m.key: m.ident for m in rows}
    proposed = proposed_activities(store, {m.key: m.unit_id for m in rows}, message_id)

    messages = []
    for m in rows:
        status = statuses[m.key]
        item = {
            "message_id": m.ident, "received_at": m.received_at or m.arrival_at,
            "sender": m.sender or "", "subject": m.subject or "", "status": status.status,
            "reason": status.reason, "unit_id": m.unit_id if status.status != "ignored" else None,
            "late": bool(m.late), "files": files_by_key.get(m.key, []),
        }
        if status.status != "ignored" and m.parts:  # several units' files: what counts for whom
            item["parts"] = [{"unit_id": p.unit_id, "status": status.status_for(p.unit_id),
                              "files": list(p.files), "activities": p.activities} for p in m.parts]
        if status.status == "needs_review" and proposed.get(m.key):
            item["proposed_activities"] = proposed[m.key]
        messages.append(item)
    keys = sorted(set(current.values()))
    # a mail of two units holds both units' rows: each counts for its own unit only
    current_rows = [a for a in store.activities(keys) if current.get(a["unit_id"]) == a["key"]]
    platform = platform_view(registry, store.platform_import(), store.platform_rows(),
                             [{k: a[k] for k in a.keys()} for a in current_rows])
    activities = [_activity(a, message_id, platform.ids[n] if platform else None)
                  for n, a in enumerate(current_rows)]
    general = [_activity(a, message_id, None) for a in store.activities(keys, general=True)
               if current.get(a["unit_id"]) == a["key"]]
    units = [{"unit_id": p.unit_id, "name": p.name, "category": p.category, "required": p.required,
              "reported": p.reported, "met": p.met, "submitted": p.submitted, "late": p.late,
              "last_received_at": p.last_received_at,
              "platform_activities": platform.per_unit.get(p.unit_id, 0) if platform else None} for p in progress]
    return {"campaign": {"name": config.campaign.name, "deadline": config.campaign.deadline.isoformat()},
            "units": units, "messages": messages, "activities": activities, "general_activities": general,
            "platform": platform.section if platform else None}


def _activity(a: Any, message_id: dict[str, str], platform_id: str | None, **unit: str | None) -> dict[str, Any]:
    """An activity row of the ledger as the export shows it (``unit_id=`` for a row that carries none)."""
    item = {"unit_id": unit["unit_id"] if unit else a["unit_id"], "message_id": message_id[a["key"]], "title": a["title"],
            "start_date": a["start_date"], "end_date": a["end_date"], "location": a["location"],
            "organizer": a["organizer"], "format": a["format"], "participants": a["participants"],
            "source": a["source"], "platform_id": platform_id}
    if a["participants_offline"] is not None or a["participants_online"] is not None:
        item["participants_offline"] = a["participants_offline"]
        item["participants_online"] = a["participants_online"]
    return item


def proposed_activities(store: Store, units: dict[str, str | None], message_id: dict[str, str]
                        ) -> dict[str, list[dict]]:
    """Message key -> rows read from prose or scans that wait for a person (none once a decision is taken):
    the fields of an activity (``platform_id`` null) plus ``confidence``, ``evidence`` and ``row`` (its number for
    ``review confirm --set ROW.FIELD=VALUE``)."""
    decided = store.proposal_decisions()
    out: dict[str, list[dict]] = {}
    for p in store.proposals():
        if p["key"] in decided or p["key"] not in units:
            continue
        rows = out.setdefault(p["key"], [])
        item = {"row": len(rows) + 1, **_activity(p, message_id, None, unit_id=units[p["key"]]),
                "confidence": p["confidence"], "evidence": p["evidence"]}
        rows.append(item)
    return out


def _flat(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):  # files of a message
        return neutralise("；".join(f"{f['name']}（{f['status']}{'：' + f['error'] if f.get('error') else ''}）"
                                   for f in value))
    return neutralise(value)


def _tables(data: dict) -> dict[str, tuple[list[str], list[dict]]]:
    proposed = [p for m in data["messages"] for p in m.get("proposed_activities", [])]
    return {"units": (UNIT_FIELDS, data["units"]),
            "activities": (ACTIVITY_FIELDS, data["activities"]),
            "messages": (MESSAGE_FIELDS, data["messages"]),
            "general_activities": (ACTIVITY_FIELDS, data.get("general_activities", [])),
            "proposed": (PROPOSED_FIELDS, proposed)}


def write_json(data: dict, out: Path) -> list[Path]:
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return [out]


def write_csv(data: dict, out: Path) -> list[Path]:
    """``out.csv`` gets the activities; ``out.units.csv``, ``out.messages.csv``, ``out.general.csv`` (一般活动,
    not counted) and ``out.proposed.csv`` (rows read from prose or scans, waiting for a person) sit beside it.
    A path without .csv is a folder holding units.csv, activities.csv, messages.csv, general_activities.csv and
    proposed.csv."""
    if out.suffix.lower() == ".csv":
        paths = {"activities": out, "units": out.with_suffix(".units.csv"),
                 "messages": out.with_suffix(".messages.csv"), "general_activities": out.with_suffix(".general.csv"),
                 "proposed": out.with_suffix(".proposed.csv")}
    else:
        out.mkdir(parents=True, exist_ok=True)
        paths = {name: out / f"{name}.csv"
                 for name in ("units", "activities", "messages", "general_activities", "proposed")}
    for name, (fields, rows) in _tables(data).items():
        with paths[name].open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads UTF-8
            writer = csv.writer(handle)
            writer.writerow([HEADERS_CN[f] for f in fields])
            for row in rows:
                writer.writerow([_flat(row.get(f)) for f in fields])
    return list(paths.values())


def write_xlsx(data: dict, out: Path) -> list[Path]:
    write_workbook(data, out)
    return [out]


WRITERS = {"json": write_json, "csv": write_csv, "xlsx": write_xlsx}
