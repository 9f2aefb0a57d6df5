"""One activity listed in two files of one submission (the Word table and the Excel file) counts once.

Only copies are merged: two rows of one file are two activities even with one title (a training held
twice, two sessions of a series), and copies in two files are one activity only where they agree: the
same title and the same or overlapping dates (or one copy undated while the other file dates exactly one
row of that title). Each row of one file joins at most one row of another.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from .parsed import Activity

_MERGED_FIELDS = ("location", "organizer", "format", "participants", "participants_offline", "participants_online")


def dedupe_activities(activities: list[Activity]) -> list[Activity]:
    """The activities of one message, copies across its files merged field by field (the fuller copy
    leads; a value only the other carries, such as 活动形式 in the Excel file alone, is kept)."""
    kept: list[Activity] = []
    files: list[str] = []  # the file of each kept activity; a merged one holds all its files
    for activity in activities:
        here = file_of(activity)
        match = _copy_in_other_file(activity, here, kept, files)
        if match is None:
            kept.append(activity)
            files.append(here)
        else:
            kept[match] = _merge(kept[match], activity)
            files[match] += "\0" + here
    return [a for a in kept if a.title]


def file_of(activity: Activity) -> str:
    """"包.zip/活动表.xlsx!Sheet1!R3" -> "包.zip/活动表.xlsx"."""
    return activity.source.split("!", 1)[0]


def _copy_in_other_file(activity: Activity, here: str, kept: list[Activity], files: list[str]) -> int | None:
    title = title_key(activity.title)
    same = [i for i, k in enumerate(kept) if title_key(k.title) == title
            and not (here and here in files[i].split("\0"))]
    dated = [i for i in same if _agree(kept[i], activity)]
    if dated:
        return dated[0]
    if activity.start_date is None:
        undated_ok = [i for i in same if kept[i].start_date is not None]
        return undated_ok[0] if len(undated_ok) == 1 else None
    undated = [i for i in same if kept[i].start_date is None]
    return undated[0] if len(undated) == 1 else None


def _agree(a: Activity, b: Activity) -> bool:
    """Same or overlapping dates (both dated)."""
    if a.start_date is None or b.start_date is None:
        return False
    a_end, b_end = a.end_date or a.start_date, b.end_date or b.start_date
    return a.start_date <= b_end and b.start_date <= a_end


def title_key(title: str) -> str:
    return re.sub(r"[\W_]+", "", title or "").lower()


def _filled(activity: Activity) -> int:
    return sum(getattr(activity, f) is not None for f in ("start_date",) + _MERGED_FIELDS)


def _merge(a: Activity, b: Activity) -> Activity:
    lead, other = (b, a) if _filled(b) > _filled(a) else (a, b)
    values = {f: getattr(lead, f) if getattr(lead, f) is not None else getattr(other, f) for f in _MERGED_FIELDS}
    raw = {**other.raw, **lead.raw}
    flags = list(lead.flags)
    start: date | None
    if lead.start_date is None and other.start_date is not None:  # the dates come from the other list
        flags = [f for f in flags if not f.startswith("date_")] + [f for f in other.flags if f.startswith("date_")]
        raw["date"] = other.raw.get("date", "")
        start, end = other.start_date, other.end_date
    else:  # the same days: a range in one list beats a single day in the other
        start = lead.start_date
        end = max((d for d in (lead.end_date, other.end_date) if d is not None), default=None)
    rank = "key" if "key" in (a.rank, b.rank) else lead.rank
    return replace(lead, start_date=start, end_date=end, **values, raw=raw, flags=flags,
                   extra={**other.extra, **lead.extra}, rank=rank)
