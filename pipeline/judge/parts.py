"""Two units' files in one mail: which unit each file counts for.

A county sends its own summary and a township's table; two societies share one clerk. Each file
is credited to the unit its own title or name names; a file naming no unit belongs to the mail's
unit (the sender's). Where that cannot be told for sure (a file naming two units, a file naming
nobody in a mail whose sender is nobody's), a person decides: the mail stays one piece and goes to
review with the candidates. Pure: files and the mail's identification in, a split (or None) out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Collection

from parsers.parsed import FileResult
from pipeline.judge.identify import Identification, NameIndex

# the identification a split may refine: a unit's mail, or one whose unit was a tie or unknown
_SPLITTABLE = ("address", "forwarded_address", "forwarder_own", "content", "forward_content", "ambiguous",
               "unknown")


# a file is another unit's submission only when it presents itself as one (a summary, an activity table), not
# when it merely names a partner (唐山市科技馆送科普进社区活动方案 in a county's mail)
_SUBMISSION_TITLE = re.compile(r"总结|统计|明细|一览表|汇总|报表|活动情况|科普月")


@dataclass
class Split:
    groups: dict[str, list[int]] = field(default_factory=dict)  # unit_id -> indexes into files, primary first
    unsure: list[str] = field(default_factory=list)  # candidates when a person must decide (groups empty)


def carries_something(f: FileResult) -> bool:
    """A file that can give a unit activities or a narrative (not a picture, a zip's own entry or a copy)."""
    return f.status == "parsed" and f.kind not in ("image", "zip", "tnef") and f.copy_of is None \
        and bool(f.activities or f.narrative or len(f.text) >= 50)


def units_named_by(f: FileResult, index: NameIndex) -> set[str]:
    """The units a file's own title and name name (its last path part first, then the archive's)."""
    base = f.name.replace("\\", "/").rsplit("/", 1)[-1]
    if not _SUBMISSION_TITLE.search(f"{f.title or ''} {f.name}"):
        return set()
    named = index.find(f.title or "") | index.find(base)
    return named or index.find(f.name)


def split_by_unit(files: list[FileResult], ident: Identification, index: NameIndex,
                  skip: Collection[int] = ()) -> Split | None:
    """How the files divide between units, or None when they all go with the mail's unit (or no unit)."""
    if ident.how not in _SPLITTABLE:
        return None
    named = {i: units_named_by(f, index) for i, f in enumerate(files) if i not in skip and carries_something(f)}
    if not named:
        return None
    if ident.unit_id is None:
        return _split_unowned(named)
    mine = ident.unit_id
    others = {i: units for i, units in named.items() if units and mine not in units}
    if not others:
        return None
    if any(len(units) > 1 for units in others.values()):
        return Split(unsure=sorted({mine} | set().union(*others.values())))
    groups: dict[str, list[int]] = {}
    own = [i for i in named if i not in others]
    if own:
        groups[mine] = own
    for i, units in others.items():
        groups.setdefault(next(iter(units)), []).append(i)
    return Split(groups) if len(groups) > 1 else None


def _split_unowned(named: dict[int, set[str]]) -> Split | None:
    """A mail whose sender is nobody's: split only when every file names exactly one unit."""
    units = set().union(*named.values())
    if len(units) < 2:
        return None
    if any(len(u) != 1 for u in named.values()):
        return Split(unsure=sorted(units))
    groups: dict[str, list[int]] = {}
    for i, u in named.items():
        groups.setdefault(next(iter(u)), []).append(i)
    return Split(groups)
