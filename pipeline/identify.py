"""Which unit a submission belongs to.

A registered sender address decides first. Otherwise the unit's name (or an alias, or its
name without the 唐山市 prefix and the 科协 suffix) is looked for in the places a clerk would
look: document titles, file names, the subject, the display name and the signature. Each
place has a weight; a unique best score wins, a tie is ambiguous and goes to review.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.model import Envelope, FileResult

from .registry import Registry, Unit

PREFIXES = ("河北省", "唐山市", "唐山", "市级", "市")
SUFFIXES = ("全民科学素质工作领导小组办公室", "全民科学素质领导小组办公室", "领导小组办公室", "科学技术协会",
            "科协", "办公室")
WEIGHTS = {"title": 5, "filename": 4, "subject": 4, "sender_name": 3, "forwarded": 3, "signature": 3,
           "body": 2, "document": 1}
# a name met only in running text (a partner mentioned in the report) suggests, but does not decide
DECISIVE = WEIGHTS["signature"]


def core_name(name: str) -> str:
    """The distinctive part of a unit's name: 唐山市路南区科协 → 路南区."""
    core = re.sub(r"\s+", "", name)
    for prefix in PREFIXES:
        if core.startswith(prefix) and len(core) - len(prefix) >= 3:
            core = core[len(prefix):]
            break
    for suffix in SUFFIXES:
        if core.endswith(suffix) and len(core) - len(suffix) >= 3:
            core = core[: -len(suffix)]
            break
    return core


@dataclass
class NameIndex:
    """Every spelling that names a unit, longest first (so 中医学会 wins over 医学会)."""

    spellings: list[tuple[str, str]] = field(default_factory=list)  # (spelling, unit_id)

    @classmethod
    def build(cls, registry: Registry) -> "NameIndex":
        seen: dict[str, set[str]] = {}
        for unit in registry.units:
            for name in unit.names:
                for spelling in {re.sub(r"\s+", "", name), core_name(name)}:
                    if len(spelling) >= 3:
                        seen.setdefault(spelling, set()).add(unit.unit_id)
        # a spelling shared by two units names neither of them
        pairs = [(s, next(iter(ids))) for s, ids in seen.items() if len(ids) == 1]
        return cls(sorted(pairs, key=lambda p: -len(p[0])))

    def find(self, text: str) -> set[str]:
        text = re.sub(r"\s+", "", text or "")
        if not text:
            return set()
        taken = [False] * len(text)
        found: set[str] = set()
        for spelling, unit_id in self.spellings:
            start = text.find(spelling)
            while start >= 0:
                end = start + len(spelling)
                if not any(taken[start:end]):
                    found.add(unit_id)
                    for i in range(start, end):
                        taken[i] = True
                start = text.find(spelling, end)
        return found


@dataclass
class Identification:
    unit_id: str | None
    how: str  # address | forwarded_address | content | ambiguous | unknown
    candidates: list[str] = field(default_factory=list)
    note: str = ""


def _signature(text: str) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return "\n".join(lines[-6:])


def _places(envelope: Envelope, files: list[FileResult]) -> list[tuple[str, str]]:
    places: list[tuple[str, str]] = []
    for f in files:
        if f.title:
            places.append(("title", f.title))
        places.append(("filename", f.name))
        if f.text:
            places.append(("document", f.text[:600]))
    places.append(("subject", envelope.subject or ""))
    places.append(("sender_name", envelope.from_name or ""))
    for fwd in envelope.forwarded:
        places.append(("forwarded", f"{fwd.from_name} {fwd.subject}"))
    places.append(("signature", _signature(envelope.text)))
    places.append(("body", (envelope.text or "")[:1500]))
    return places


def score_by_content(envelope: Envelope, files: list[FileResult], index: NameIndex) -> tuple[dict[str, int], set[str]]:
    """Scores per unit, and the units named in at least one decisive place."""
    scores: dict[str, int] = {}
    decisive: set[str] = set()
    for place, text in _places(envelope, files):
        for unit_id in index.find(text):
            scores[unit_id] = scores.get(unit_id, 0) + WEIGHTS[place]
            if WEIGHTS[place] >= DECISIVE:
                decisive.add(unit_id)
    return scores, decisive


def identify(envelope: Envelope, files: list[FileResult], registry: Registry, index: NameIndex,
             office_addresses: set[str], remembered: dict[str, str] | None = None) -> Identification:
    scores, decisive = score_by_content(envelope, files, index)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best = ranked[0] if ranked else None
    unique_best = best if best and (len(ranked) == 1 or ranked[1][1] < best[1]) and best[0] in decisive else None

    senders = [envelope.from_addr]
    if envelope.from_addr in office_addresses:  # a forward from the office: the original sender counts
        senders = [f.from_addr for f in envelope.forwarded if f.from_addr] + senders
    else:
        senders += [f.from_addr for f in envelope.forwarded if f.from_addr]
    for position, address in enumerate(senders):
        unit: Unit | None = registry.by_email.get(address)
        if unit is None and remembered:
            unit = registry.get(remembered.get(address))
        if unit is None:
            continue
        how = "address" if position == 0 and address == envelope.from_addr else "forwarded_address"
        if unique_best and unique_best[0] != unit.unit_id and scores.get(unit.unit_id, 0) == 0 \
                and unique_best[1] >= WEIGHTS["filename"]:
            other = registry.by_id[unique_best[0]]
            return Identification(other.unit_id, "content", [unit.unit_id, other.unit_id],
                                  f"发件地址登记为“{unit.name}”，材料内容为“{other.name}”，按材料内容归属")
        return Identification(unit.unit_id, how)

    if unique_best:
        return Identification(unique_best[0], "content")
    if ranked:
        tied = [u for u, s in ranked if s == best[1]]
        return Identification(None, "ambiguous", tied)
    return Identification(None, "unknown")
