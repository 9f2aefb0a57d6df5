"""The season as the office closes it: one dataset, the narratives, the shortlist and the picks.

Everything the report, the 拟表扬 page and the season-end digest show is built from one ``dataset``
call here, so their numbers equal the export of the same moment.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

from pipeline.campaign.registry import Registry
from pipeline.config import CATEGORIES, Config
from pipeline.ledger.rows import PickRow
from pipeline.ledger.store import Store
from pipeline.reporting.export import dataset
from pipeline.reporting.narratives import UnitNarrative, unit_narratives
from pipeline.reporting.shortlist import (
    ActivityCandidate,
    Shortlist,
    UnitCandidate,
    activity_key,
    build_shortlist,
    declared_platform,
    platform_status,
)


@dataclass
class Picks:
    units: list[UnitCandidate] = field(default_factory=list)
    activities: list[ActivityCandidate] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # picked, no longer in the data (a unit replaced its list)
    chosen: set[tuple[str, str]] = field(default_factory=set)  # (kind, target)

    @property
    def any(self) -> bool:
        return bool(self.units or self.activities)


@dataclass
class Season:
    name: str
    deadline: date
    period: tuple[date, date]
    data: dict[str, Any]
    narratives: dict[str, UnitNarrative]
    declared: dict[str, bool | None]
    shortlist: Shortlist
    picks: Picks

    @property
    def units(self) -> list[dict]:
        return self.data["units"]

    def unit_name(self, unit_id: str) -> str:
        return next((u["name"] for u in self.units if u["unit_id"] == unit_id), unit_id)


def declared_flags(store: Store, data: Mapping[str, Any]) -> dict[str, bool | None]:
    """activity_key -> what the unit's own 是否平台填报 column says, for the current activities."""
    wanted = {a["message_id"] for a in data["activities"]}
    keys = sorted(r.key for r in store.messages() if r.ident in wanted)
    out: dict[str, bool | None] = {}
    for row in store.activities(keys):
        try:
            raw = json.loads(row["raw"] or "{}")
        except ValueError:
            raw = {}
        out[activity_key({"unit_id": row["unit_id"], "start_date": row["start_date"], "title": row["title"]})] = \
            declared_platform(raw.get("platform"))
    return out


def resolve_picks(rows: Iterable[PickRow], shortlist: Shortlist) -> Picks:
    units = {c.unit_id: c for c in shortlist.units}
    activities = {c.key: c for c in shortlist.activities}
    picks = Picks()
    for row in rows:
        picks.chosen.add((row.kind, row.target))
        if row.kind == "unit" and row.target in units:
            picks.units.append(units[row.target])
        elif row.kind == "activity" and row.target in activities:
            picks.activities.append(activities[row.target])
        else:
            picks.gone.append(row.label or row.target)
    order = {id(c): i for i, c in enumerate([*shortlist.units, *shortlist.activities])}
    picks.units.sort(key=lambda c: order[id(c)])
    picks.activities.sort(key=lambda c: order[id(c)])
    return picks


def load_season(config: Config, registry: Registry, store: Store, as_of: date | None = None,
                data: dict[str, Any] | None = None) -> Season:
    """``data``: the dataset already at hand (the console's, cached per ledger change), else made here."""
    data = data if data is not None else dataset(config, registry, store, as_of)
    narratives = unit_narratives(data, store.messages())
    declared = declared_flags(store, data)
    shortlist = build_shortlist(data, narratives, declared)
    campaign = config.campaign
    return Season(campaign.name, campaign.deadline, (campaign.period[0], campaign.period[1]), data, narratives,
                  declared, shortlist, resolve_picks(store.picks(), shortlist))


def by_category(season: Season) -> list[dict]:
    """Per category in the notice's order: units, submitted, on time, met, activities against quota, people."""
    rows = []
    for code, label in CATEGORIES.items():
        units = [u for u in season.units if u["category"] == code]
        if not units:
            continue
        ids = {u["unit_id"] for u in units}
        acts = [a for a in season.data["activities"] if a["unit_id"] in ids]
        rows.append(dict(code=code, label=label, units=len(units), submitted=sum(u["submitted"] for u in units),
                         on_time=sum(u["submitted"] and not u["late"] for u in units),
                         late=sum(u["late"] for u in units), met=sum(u["met"] for u in units),
                         required=sum(u["required"] for u in units), reported=sum(u["reported"] for u in units),
                         activities=len(acts), participants=sum(a["participants"] or 0 for a in acts)))
    return rows


def platform_counts(season: Season) -> dict[str, Any]:
    """How many current activities are known registered on the platform, known not, and unknown."""
    states = [platform_status(a, season.data, season.declared) for a in season.data["activities"]]
    return dict(source=season.shortlist.platform_source, yes=sum(s is True for s in states),
                no=sum(s is False for s in states), unknown=sum(s is None for s in states),
                platform=season.data.get("platform"))


def after_deadline(season: Season) -> list[dict]:
    """Submissions dated after the deadline day: a unit's first (逾期首报) or a correction (期后更正)."""
    seen: set[str] = set()
    out = []
    for m in sorted(season.data["messages"], key=lambda m: m["received_at"] or ""):
        if m["status"] == "ignored" or not m["unit_id"]:
            continue
        if m["late"]:
            out.append(dict(unit=season.unit_name(m["unit_id"]), unit_id=m["unit_id"], received_at=m["received_at"],
                            subject=m["subject"], status=m["status"],
                            kind="期后更正" if m["unit_id"] in seen else "逾期首报"))
        seen.add(m["unit_id"])
    return out


def season_over(season_deadline: date, today: date) -> bool:
    return today > season_deadline

