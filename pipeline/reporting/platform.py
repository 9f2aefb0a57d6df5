"""The reported activities against the national platform's list (the latest ``platform import``).

Matching is recomputed from the ledger whenever the dataset is built, so it always speaks of the
current activities. A pair (activity, platform row) scores on three things:
- the title, normalised (no "2025年", "全国科普月", brackets, punctuation, trailing 活动) and compared
  fuzzily (rapidfuzz), the decisive part;
- the unit: the row's 主办/填报单位 read against the registry's names and aliases. A row naming another
  unit of the registry never matches; an organizer the registry does not know (a township, a school,
  another city) weakens the pair; a list without organizer column is neutral;
- the dates: overlapping spans agree, a few days apart half agree, a missing date is neutral.
Pairs are then taken best first, each platform row and each activity at most once.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from rapidfuzz import fuzz, process

from pipeline.campaign.registry import Registry
from pipeline.judge.identify import NameIndex, canon

TITLE_FLOOR = 62  # below this title similarity (0-100) a pair is not considered at all
ACCEPT = 0.70  # the least combined score (0-1) of a match
WEIGHTS = {"title": 0.6, "unit": 0.25, "dates": 0.15}
_PUNCT = re.compile(r"[\W_]+")
_TRAILING = re.compile(r"(?:活动|系列活动|主题活动)$")
_YES = re.compile(r"^(是|已|已填报|已报|已上报|已录入|已填|有|y|yes|√|✓|1)")
_NO = re.compile(r"^(否|未|没有|无|不|n|no|×|✗|0)")
_CITY = re.compile(r"^(?:中共)?(?:河北省|[\u4e00-\u9fff]{2,3}省)?([\u4e00-\u9fff]{2,4}?)市")
_REJECTED = ("未通过", "驳回", "不通过", "退回", "拒绝", "删除", "撤销")


def normalise_title(title: str) -> str:
    """The words a title is recognised by: 2025年全国科普月·【科普进社区】活动 → 科普进社区."""
    text = unicodedata.normalize("NFKC", title or "").lower()
    text = re.sub(r"20\d\d年度?|首届|第一届|全国科普月|科普月", "", text)
    text = _PUNCT.sub("", text)
    return _TRAILING.sub("", text) or _PUNCT.sub("", unicodedata.normalize("NFKC", title or "").lower())


def title_score(a: str, b: str, rarity: Mapping[str, float] | None = None) -> float:
    """0-100: the ratio of two normalised titles, or the partial ratio of the shorter one inside the
    longer, cut the more the lengths differ (so 科普进社区 is close to 科普进社区暨义诊, not to 社区).
    With ``rarity`` (see ``char_rarity``) it is cut again by how much of the titles' rare words they
    share: templated titles differ in little but what matters (科普大篷车进马兰峪镇 / 进木厂口镇)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    short, long_ = sorted((len(a), len(b)))
    partial = fuzz.partial_ratio(a, b) * (0.75 + 0.25 * short / long_) if short >= 4 else 0.0
    score = max(fuzz.ratio(a, b), partial)
    return score * (0.6 + 0.4 * _shared_rare(a, b, rarity)) if rarity is not None else score


def char_rarity(titles: Iterable[str]) -> dict[str, float]:
    """Weight of each character of the titles: log(N / titles holding it). Characters, not pairs: a
    reworded title keeps its rare words but often not their order (知识线上 / 线上知识)."""
    held: dict[str, int] = {}
    count = 0
    for title in titles:
        count += 1
        for piece in set(_pieces(title)):
            held[piece] = held.get(piece, 0) + 1
    return {piece: math.log((count + 1) / n) for piece, n in held.items()}


def _pieces(text: str) -> list[str]:
    return list(text)


def _shared_rare(a: str, b: str, rarity: Mapping[str, float]) -> float:
    """Weighted Dice of the two titles' characters (0-1); the shorter title's pieces all found in the longer
    count fully (a title inside another is the same activity)."""
    pa, pb = set(_pieces(a)), set(_pieces(b))
    weight = lambda pieces: sum(rarity.get(p, 1.0) for p in pieces)  # noqa: E731
    common = weight(pa & pb)
    smaller = min(weight(pa), weight(pb))
    dice = 2 * common / ((weight(pa) + weight(pb)) or 1)
    return max(dice, common / smaller if smaller and common >= smaller else 0.0)


def date_score(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> float:
    if a[0] is None or b[0] is None:
        return 0.5
    a_end, b_end = a[1] or a[0], b[1] or b[0]
    gap = max((a[0] - b_end).days, (b[0] - a_end).days, 0)
    return 1.0 if gap == 0 else 0.6 if gap <= 3 else 0.3 if gap <= 10 else 0.0


class UnitResolver:
    """A platform organizer → the registry's unit, or None (unknown), cached; ``foreign`` tells a body of
    another city (石家庄市科协), which never stands for one of ours."""

    def __init__(self, registry: Registry):
        self.index = NameIndex.build(registry)
        self._cache: dict[str, str | None] = {}
        self._names = "\0".join(canon(n) for u in registry.units for n in u.names)

    def foreign(self, text: str | None) -> bool:
        m = _CITY.match(canon(text or ""))
        return m is not None and m.group(1) != "唐山" and f"{m.group(1)}市" not in self._names

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return None
        if text not in self._cache:
            found = self.index.find(text)
            if len(found) == 1:
                self._cache[text] = next(iter(found))
            else:
                unit_id, _, _ = self.index.fuzzy([text]) if not found else (None, [], 0)
                self._cache[text] = unit_id
        return self._cache[text]


@dataclass
class Candidate:
    unit_ids: set[str]  # units the row names (organizer and filer); empty: none known
    named: bool  # the row names some organizer at all
    foreign: bool  # and it is a body of another city
    title: str
    dates: tuple[date | None, date | None]


def _candidate(row: Mapping[str, Any], resolve: UnitResolver) -> Candidate:
    names = [row.get("organizer"), row.get("filer")]
    units = {u for u in (resolve(n) for n in names) if u}
    foreign = not units and any(resolve.foreign(n) for n in names)
    return Candidate(units, any(names), foreign, normalise_title(row.get("title") or ""),
                     (_day(row.get("start_date")), _day(row.get("end_date"))))


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def unit_score(row: Candidate) -> float:
    """1 when the row names the unit (checked by the caller), else how little an unknown name says."""
    return 1.0 if row.unit_ids else (0.2 if row.named else 0.5)


def title_needed(unit: float) -> float:
    """The least title similarity (0-100) with which a pair of this unit score can still be accepted."""
    return max(TITLE_FLOOR, 100 * (ACCEPT - WEIGHTS["unit"] * unit - WEIGHTS["dates"]) / WEIGHTS["title"])


def pair_score(title: str, dates: tuple[date | None, date | None], row: Candidate,
               rarity: Mapping[str, float] | None = None) -> float | None:
    """Combined score 0-1 of an activity (its normalised title and its dates) and a platform row of a
    compatible unit; None below the title floor, or when a row naming a body the registry does not
    know was held on other days (nothing else then says it is the unit's)."""
    unit = unit_score(row)
    t = title_score(title, row.title, rarity)
    if t < title_needed(unit):
        return None
    day = date_score(dates, row.dates)
    if row.named and not row.unit_ids and day not in (0.5, 1.0):
        return None
    return WEIGHTS["title"] * t / 100 + WEIGHTS["unit"] * unit + WEIGHTS["dates"] * day


def match(activities: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]],
          resolve: UnitResolver) -> tuple[dict[int, int], list[Candidate]]:
    """activity index → platform row index, one to one, best pairs first. A row naming a unit of the
    registry is compared with that unit's activities only; a row naming another city with none."""
    cands = [_candidate(r, resolve) for r in rows]
    by_unit: dict[str, list[int]] = {}
    open_rows: dict[float, list[int]] = {}  # rows naming no unit of ours, by the title they need
    for j, c in enumerate(cands):
        for u in c.unit_ids:
            by_unit.setdefault(u, []).append(j)
        if not c.unit_ids and not c.foreign:
            open_rows.setdefault(title_needed(unit_score(c)), []).append(j)
    open_titles = {needed: [cands[j].title for j in group] for needed, group in open_rows.items()}
    titles = [normalise_title(a.get("title") or "") for a in activities]
    rarity = char_rarity(titles + [c.title for c in cands])
    near: dict[str, list[int]] = {}  # titles repeat (科普讲座): look each up once
    pairs: list[tuple[float, int, int]] = []
    for i, a in enumerate(activities):
        title = titles[i]
        dates = (_day(a.get("start_date")), _day(a.get("end_date")))
        if title not in near:
            near[title] = _near(title, open_rows, open_titles)
        for j in by_unit.get(a.get("unit_id") or "", []) + near[title]:
            score = pair_score(title, dates, cands[j], rarity)
            if score is not None and score >= ACCEPT:
                pairs.append((score, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    taken_a: dict[int, int] = {}
    taken_r: set[int] = set()
    for _, i, j in pairs:
        if i not in taken_a and j not in taken_r:
            taken_a[i] = j
            taken_r.add(j)
    return taken_a, cands


def _near(title: str, open_rows: dict[float, list[int]], open_titles: dict[float, list[str]]) -> list[int]:
    """Open rows whose title may reach what they need (a province-wide list has thousands: rapidfuzz's
    C++ loop drops the hopeless ones; ``title_score`` never exceeds the larger of these two scores)."""
    near: list[int] = []
    for needed, group in open_rows.items():
        for scorer in (fuzz.ratio, fuzz.partial_ratio):
            near += [group[k] for _, _, k in process.extract(title, open_titles[needed], scorer=scorer, limit=None,
                                                             score_cutoff=needed)]
    return list(dict.fromkeys(near))


# --- the dataset's view ---------------------------------------------------------------------------

def claimed(value: Any) -> bool | None:
    """A unit's own 是否平台填报 cell: True, False, or None when it says neither."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or ""))).lower()
    if not text:
        return None
    if _NO.match(text):
        return False
    return True if _YES.match(text) else None


@dataclass
class PlatformView:
    ids: list[str | None]  # platform_id per activity, in the order given
    per_unit: dict[str, int]  # unit_id -> platform rows that are the unit's (matched or naming it)
    section: dict[str, Any] = field(default_factory=dict)  # the export's top-level ``platform``


def platform_view(registry: Registry, imported: Any, rows: Sequence[Mapping[str, Any]],
                  activities: Sequence[Mapping[str, Any]]) -> PlatformView | None:
    """The platform side of the dataset (``imported``: the store's ``platform_import()`` row); ``activities``
    are the current ones (``raw`` holds the unit's
    own 是否平台填报 cell as JSON, when its table had one). None before any import."""
    if imported is None:
        return None
    resolve = UnitResolver(registry)
    matched, cands = match(activities, rows, resolve)
    row_of_activity = {i: rows[j] for i, j in matched.items()}
    ids = [row_of_activity[i]["platform_id"] if i in row_of_activity else None for i in range(len(activities))]
    owner: dict[int, str | None] = {j: activities[i].get("unit_id") for i, j in matched.items()}
    only = []
    for j, row in enumerate(rows):
        if j in owner:
            continue
        unit_id = next(iter(cands[j].unit_ids)) if len(cands[j].unit_ids) == 1 else None
        owner[j] = unit_id
        only.append({"platform_id": row["platform_id"], "title": row["title"],
                     "organizer": row["organizer"] or row["filer"], "unit_id": unit_id,
                     "start_date": row["start_date"], "status": row["status"]})
    per_unit: dict[str, int] = {}
    for unit_id in owner.values():
        if unit_id:
            per_unit[unit_id] = per_unit.get(unit_id, 0) + 1
    section = {"rows": len(rows), "matched": len(matched), "only_on_platform": only,
               "unmatched_activities": len(activities) - len(matched),
               "file": imported["file"], "imported_at": imported["at"],
               "disagreements": disagreements(activities, ids, rows)}
    return PlatformView(ids, per_unit, section)


def disagreements(activities: Sequence[Mapping[str, Any]], ids: list[str | None],
                  rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Activities whose unit's 是否平台填报 says otherwise than the platform list (or whose platform
    row was not approved)."""
    status = {r["platform_id"]: r["status"] for r in rows}
    out = []
    for a, pid in zip(activities, ids):
        said = claimed(_raw(a).get("platform"))
        row_status = status.get(pid) if pid else None
        if said is True and pid is None:
            issue = "单位填报“已在平台填报”，平台活动表中未找到"
        elif said is False and pid is not None:
            issue = "单位填报“未在平台填报”，平台活动表中有此活动"
        elif said is not False and pid and row_status and any(w in row_status for w in _REJECTED):
            issue = f"平台上的审核状态为“{row_status}”"
        else:
            continue
        out.append({"unit_id": a.get("unit_id"), "title": a.get("title"), "start_date": a.get("start_date"),
                    "unit_says": _raw(a).get("platform"), "platform_id": pid, "platform_status": row_status,
                    "issue": issue, "source": a.get("source")})
    return out


def _raw(activity: Mapping[str, Any]) -> dict[str, Any]:
    raw = activity.get("raw")
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def platform_summary(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """For the city's report and the shortlist, from the export (so every number equals it):
    totals and, per unit, its current activities, how many of them were found on the platform, that
    share, and the platform rows that are the unit's. None before any import."""
    section = data.get("platform")
    if not section:
        return None
    units: dict[str, dict[str, Any]] = {}
    for u in data.get("units", []):
        units[u["unit_id"]] = {"reported": u.get("reported", 0), "registered": 0, "share": None,
                               "platform_rows": u.get("platform_activities") or 0, "platform_ids": []}
    for a in data.get("activities", []):
        entry = units.get(a.get("unit_id") or "")
        if entry is not None and a.get("platform_id"):
            entry["registered"] += 1
            entry["platform_ids"].append(a["platform_id"])
    for entry in units.values():
        if entry["reported"]:
            entry["share"] = round(entry["registered"] / entry["reported"], 4)
    activities = len(data.get("activities", []))
    return {"rows": section["rows"], "matched": section["matched"], "activities": activities,
            "share": round(section["matched"] / activities, 4) if activities else None,
            "only_on_platform": len(section["only_on_platform"]), "units": units}
