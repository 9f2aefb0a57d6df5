"""The office's picks for commendation (the console's 拟表扬 page): one unit or activity in or out.

Each is an admin action (``actions.perform``), so it is recorded in the audit table like every other.
A pick names what the current data holds: a registered unit, or an activity by ``shortlist.activity_key``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.admin.review import ReviewError
from pipeline.reporting.shortlist import activity_key

if TYPE_CHECKING:
    from pipeline.runtime.app import Pipeline  # the floor above: for the type only

KINDS = ("unit", "activity")


def _label(pipeline: Pipeline, target: str, kind: str) -> str:
    if kind not in KINDS:
        raise ReviewError(f"kind must be unit or activity, not {kind!r}")
    if kind == "unit":
        unit = pipeline.registry.get(target)
        if unit is None:
            raise ReviewError(f"no unit {target!r} in the registry")
        return unit.name
    data = pipeline.dataset()
    found = next((a for a in data["activities"] if activity_key(a) == target), None)
    if found is None:
        raise ReviewError(f"no current activity {target!r} (the unit may have sent a new list)")
    unit = pipeline.registry.get(found["unit_id"])
    return f"{unit.name if unit else found['unit_id']}《{found['title']}》"


def pick(pipeline: Pipeline, target: str, kind: str, by: str = "") -> str:
    label = _label(pipeline, target, kind)
    added = pipeline.store.set_pick(kind, target, label, by)
    return f"{label} 选入拟表扬名单" if added else f"{label} 已在拟表扬名单中"


def unpick(pipeline: Pipeline, target: str, kind: str) -> str:
    if kind not in KINDS:
        raise ReviewError(f"kind must be unit or activity, not {kind!r}")
    label = next((r.label for r in pipeline.store.picks() if r.kind == kind and r.target == target), target) or target
    if not pipeline.store.drop_pick(kind, target):
        raise ReviewError(f"{label} is not on the list")
    return f"{label} 移出拟表扬名单"
