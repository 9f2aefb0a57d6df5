"""Which unit a submission belongs to.

A registered sender address decides first. Otherwise the unit's name (or an alias, or its
name without the 唐山市 prefix and the 科协 suffix) is looked for in the places a clerk would
look: document titles, file names, the subject, the display name and the signature. Each
place has a weight; a unique best score wins, a tie is ambiguous and goes to review.

Names are compared in a canonical form (NFKC, no spaces, 科学技术协会 and 全民科学素质…领导小组办公室
written 科协), so 唐山师范学院科学技术协会 finds the unit registered as 唐山师范学院科协. When no name
or alias occurs exactly, a fuzzy match (rapidfuzz) of the name-like stretches of the title, file
names, subject, display name and signature decides, but only above ``FUZZY_MIN`` and clearly ahead
of the next unit (``FUZZY_MARGIN``); otherwise the mail goes to review naming the candidates.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from parsers.parsed import Envelope, FileResult
from pipeline.campaign.registry import Registry, Unit

PREFIXES = ("河北省", "唐山市", "唐山", "市级", "市")
SUFFIXES = ("全民科学素质工作领导小组办公室", "全民科学素质领导小组办公室", "领导小组办公室", "科学技术协会",
            "科协", "办公室")
WEIGHTS = {"title": 5, "filename": 4, "subject": 4, "sender_name": 3, "forwarded": 3, "signature": 3,
           "body": 2, "document": 1}
# a name met only in running text (a partner mentioned in the report) suggests, but does not decide
DECISIVE = WEIGHTS["signature"]
# fuzzy fallback: a stretch of a decisive place must score this much (0-100, rapidfuzz ratio) against
# a spelling, and beat the best spelling of any other unit by the margin
FUZZY_MIN = 85
FUZZY_MARGIN = 8
FUZZY_PLACES = ("title", "filename", "subject", "sender_name", "forwarded", "signature")
_CANON = [(re.compile(r"全民科学素质(?:工作)?领导小组办公室|科学技术协会"), "科协")]
# words around a unit's name in subjects, titles and file names: cut there to find name-like stretches
_NOT_NAME = re.compile(
    r"20\d\d年?|全国科普月|科普月|重点科普活动|科普活动|活动总结|工作总结|总结|统计表|明细表?|一览表|活动情况|"
    r"情况|关于|报送|附件\d*|盖章版?|扫描件|转发|回复|fw|re|docx?|xlsx?|pdf|zip|wps|et|ods|"
    r"的|(?:[^\w()]|_|\d)+", re.I)
# another city or province right before a name: 石家庄市医学会 is not 唐山市医学会
_FOREIGN_PLACE = re.compile(r"([\u4e00-\u9fff]{2,3})[市省]$")
# a township's body right after a county's name: 丰南区|黄各庄镇科协 is the township's, not the county's
# (but 丰南区各乡镇科协 is the county speaking of all of them)
# a township's body anywhere (黄各庄镇科协, 小集镇人民政府), and an organisation's name as a sender's display name
_TOWNSHIP = re.compile(r"[\u4e00-\u9fff]{1,8}?(?:镇|乡|街道|办事处)(?:科协|科普协会|人民政府|政府|党委|综合文化站|文化站)")
_ORGANISATION = re.compile(r"科协|学会|协会|研究会|委员会|办公室|局|馆|中心|公司|学校|学院|大学|医院|基地|项目|政府|站$")
_SUBUNIT = re.compile(r"(?![各全所本])[\u4e00-\u9fff]{1,6}?(?:镇|乡|街道|办事处)(?:科协|科普协会|人民政府|政府|党委)")


def canon(text: str) -> str:
    """Canonical form for comparing names: NFKC, no spaces, lower case, long suffixes written 科协."""
    out = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()
    for rx, repl in _CANON:
        out = rx.sub(repl, out)
    return out


def core_name(name: str) -> str:
    """The distinctive part of a unit's name: 唐山市路南区科协 → 路南区."""
    core = re.sub(r"\s+", "", name)
    for prefix in PREFIXES:
        # "唐山" without 市 is often part of a proper name (唐山学院, 唐山科技馆): strip it only
        # when a long, distinctive rest remains
        least = 5 if prefix == "唐山" else 3
        if core.startswith(prefix) and len(core) - len(prefix) >= least:
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

    spellings: list[tuple[str, str]] = field(default_factory=list)  # (canonical spelling, unit_id)
    full: list[tuple[str, str]] = field(default_factory=list)  # (canonical name or alias, unit_id), for fuzzy

    @classmethod
    def build(cls, registry: Registry) -> "NameIndex":
        seen: dict[str, set[str]] = {}
        full: dict[str, set[str]] = {}
        for unit in registry.units:
            for name in unit.names:
                for spelling in {canon(name), core_name(canon(name))}:
                    if len(spelling) >= 3:
                        seen.setdefault(spelling, set()).add(unit.unit_id)
                if len(canon(name)) >= 4:
                    full.setdefault(canon(name), set()).add(unit.unit_id)
        # a spelling shared by two units names neither of them
        pairs = [(s, next(iter(ids))) for s, ids in seen.items() if len(ids) == 1]
        names = [(s, next(iter(ids))) for s, ids in full.items() if len(ids) == 1]
        return cls(sorted(pairs, key=lambda p: -len(p[0])), names)

    def fuzzy(self, texts: list[str]) -> tuple[str | None, list[str], int]:
        """(unit_id or None, close candidates, best score) for name-like stretches of ``texts``."""
        if not self.full:
            return None, [], 0
        choices = [s for s, _ in self.full]
        best: dict[str, float] = {}
        for stretch in {st for t in texts for st in _stretches(t)}:
            for _, score, i in process.extract(stretch, choices, scorer=fuzz.ratio, limit=5,
                                               score_cutoff=FUZZY_MIN - FUZZY_MARGIN):
                unit_id = self.full[i][1]
                best[unit_id] = max(best.get(unit_id, 0), score)
        if not best:
            return None, [], 0
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        top_id, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0
        close = [u for u, sc in ranked if sc >= top - FUZZY_MARGIN]
        if top >= FUZZY_MIN and top - second >= FUZZY_MARGIN:
            return top_id, close, int(top)
        return None, close if top >= FUZZY_MIN else [], int(top)

    def __post_init__(self) -> None:
        # spellings by first character, each with its rank (longest first), to look only where one may start
        self.by_first: dict[str, list[tuple[int, str, str]]] = {}
        for rank, (spelling, unit_id) in enumerate(self.spellings):
            self.by_first.setdefault(spelling[0], []).append((rank, spelling, unit_id))

    def find(self, text: str) -> set[str]:
        text = canon(text)
        if not text:
            return set()
        hits = sorted((rank, start, spelling, unit_id)
                      for start, char in enumerate(text) if char in self.by_first
                      for rank, spelling, unit_id in self.by_first[char] if text.startswith(spelling, start))
        taken = [False] * len(text)
        found: set[str] = set()
        for _, start, spelling, unit_id in hits:  # longest spellings claim their stretch first
            end = start + len(spelling)
            if not any(taken[start:end]) and not _foreign(text, start, spelling) \
                    and not _SUBUNIT.match(text, end):
                found.add(unit_id)
                taken[start:end] = [True] * (end - start)
        return found


def _foreign(text: str, start: int, spelling: str) -> bool:
    """True when the spelling sits right after another place's name (秦皇岛市|卫生健康委员会)."""
    if spelling.startswith(("唐山", "河北")):
        return False
    before = text[max(0, start - 5):start + (1 if spelling.startswith("市") else 0)]
    m = _FOREIGN_PLACE.search(before)
    return m is not None and not m.group(1).endswith(("唐山", "河北"))


@lru_cache(maxsize=4096)
def _stretches(text: str) -> tuple[str, ...]:
    """Name-like stretches of a subject, title or file name: what is left between campaign words."""
    pieces = [p for p in _NOT_NAME.split(canon(text)) if 4 <= len(p) <= 40]
    return tuple(dict.fromkeys(pieces))


@dataclass
class Identification:
    unit_id: str | None
    how: str  # address | forwarded_address | forwarder_own | content | fuzzy | forward_content | forward_unknown
    #           | ambiguous | unknown
    candidates: list[str] = field(default_factory=list)
    note: str = ""
    forwarder: str | None = None  # the unit whose address forwarded someone else's mail


FORWARD_SUBJECT = re.compile(r"^\s*(fw|fwd|转发)\s*[:：]", re.I)
REPLY_SUBJECT = re.compile(r"^\s*(re|回复|答复)\s*[:：]", re.I)


def forward_origins(envelope: Envelope, office_addresses: set[str]) -> list[str] | None:
    """Original senders of mail that someone outside the office forwarded, or None when the mail
    is no such forward (the office's own forwards and replies quoting our mail are not)."""
    if envelope.from_addr in office_addresses or not envelope.forwarded:
        return None
    if REPLY_SUBJECT.search(envelope.subject or "") and not FORWARD_SUBJECT.search(envelope.subject or ""):
        return None  # a reply quotes the mail it answers: the sender writes for itself
    others = [f.from_addr for f in envelope.forwarded
              if f.from_addr and f.from_addr != envelope.from_addr and f.from_addr not in office_addresses]
    unnamed = [f for f in envelope.forwarded if not f.from_addr]
    if others or (unnamed and FORWARD_SUBJECT.search(envelope.subject or "")):
        return others
    return None


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


# places that name the submission itself; a name anywhere else (the body, the signature, the document's
# running text: a partner, an address in 丰南区) only mentions a unit
NAMING_PLACES = ("title", "filename", "subject")


def titled_unit(envelope: Envelope, files: list[FileResult], index: NameIndex) -> str | None:
    """The one unit the documents' own titles name, when no file name or subject names another: the
    summary's title outweighs a name met in its body or the mail's signature."""
    named: dict[str, set[str]] = {}
    for place, text in _places(envelope, files):
        if place in NAMING_PLACES:
            named.setdefault(place, set()).update(index.find(text))
    titled = named.get("title", set())
    if len(titled) == 1 and not (named.get("filename", set()) | named.get("subject", set())) - titled:
        return next(iter(titled))
    return None


def identify(envelope: Envelope, files: list[FileResult], registry: Registry, index: NameIndex,
             office_addresses: set[str], remembered: dict[str, str] | None = None) -> Identification:
    scores, decisive = score_by_content(envelope, files, index)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))  # ties in a fixed order: reproducible
    best = ranked[0] if ranked else None
    unique_best = best if best and (len(ranked) == 1 or ranked[1][1] < best[1]) and best[0] in decisive else None

    def unit_of(address: str) -> Unit | None:
        unit = registry.by_email.get(address)
        if unit is None and remembered:
            unit = registry.get(remembered.get(address))
        return unit

    origins = forward_origins(envelope, office_addresses)
    if origins is not None:
        return _identify_forward(origins, unit_of(envelope.from_addr), unit_of, scores, decisive, registry,
                                 envelope, files)

    senders = [envelope.from_addr]
    if envelope.from_addr in office_addresses:  # a forward from the office: the original sender counts
        senders = [f.from_addr for f in envelope.forwarded if f.from_addr] + senders
    for position, address in enumerate(senders):
        unit = unit_of(address)
        if unit is None:
            continue
        how = "address" if position == 0 and address == envelope.from_addr else "forwarded_address"
        if unique_best and unique_best[0] != unit.unit_id and scores.get(unit.unit_id, 0) == 0 \
                and unique_best[1] >= WEIGHTS["filename"]:
            other = registry.by_id[unique_best[0]]
            return Identification(other.unit_id, "content", [unit.unit_id, other.unit_id],
                                  f"发件地址登记为“{unit.name}”，材料内容为“{other.name}”，按材料内容归属")
        return Identification(unit.unit_id, how)

    title_unit = titled_unit(envelope, files, index)
    if title_unit is not None:  # the summary's own title outweighs names in the body and the signature
        others = [registry.by_id[u].name for u, _ in ranked if u != title_unit]
        return Identification(title_unit, "content", [u for u, _ in ranked] if others else [],
                              f"按文件标题归属（正文或签名中另提到：{'、'.join(others)}）" if others else "")
    if unique_best:
        return Identification(unique_best[0], "content")
    if not decisive:
        texts = [text for place, text in _places(envelope, files) if place in FUZZY_PLACES]
        unit_id, close, score = index.fuzzy(texts)
        if unit_id is not None and (not ranked or unit_id in scores):
            name = registry.by_id[unit_id].name
            return Identification(unit_id, "fuzzy", close, f"单位名称与“{name}”近似（相似度{score}%），按此归属")
        if close and not ranked:
            return Identification(None, "ambiguous", close)
    if ranked:
        tied = [u for u, s in ranked if s == ranked[0][1]]
        return Identification(None, "ambiguous", tied)
    return Identification(None, "unknown")


def names_another_body(envelope: Envelope, files: list[FileResult], forwarder: Unit) -> bool:
    """The forwarded mail or its files name a body other than the forwarder: a township (丰南区黄各庄镇科协),
    or an organisation as the original's sender name. A person's name, or the forwarder's, is its own people."""
    own = {canon(n) for n in forwarder.names} | {core_name(canon(n)) for n in forwarder.names}
    texts = [f.title or "" for f in files] + [f.name for f in files] + [f.subject for f in envelope.forwarded]
    if any(_TOWNSHIP.search(canon(t)) for t in texts):
        return True
    for fwd in envelope.forwarded:
        name = canon(fwd.from_name)
        if _ORGANISATION.search(name) and not any(o and o in name for o in own):
            return True
    return False


def _identify_forward(origins: list[str], forwarder: Unit | None, unit_of, scores: dict[str, int],
                      decisive: set[str], registry: Registry, envelope: Envelope,
                      files: list[FileResult]) -> Identification:
    """Mail that someone forwarded belongs to whoever wrote the original: its registered address,
    else the unit its files name, other than the forwarder (whose own name is in its covering note and
    signature). A unit's address forwarding its own people's mail (the files name the forwarder or no
    unit, the original is no other body's) submits for itself. Otherwise a person decides."""
    by = forwarder.unit_id if forwarder else None
    for address in origins:
        unit = unit_of(address)
        if unit is not None:
            return Identification(unit.unit_id, "forwarded_address", forwarder=by)
    ranked = sorted(((u, sc) for u, sc in scores.items() if u != by), key=lambda kv: (-kv[1], kv[0]))
    unique_best = ranked[0] if ranked and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]) \
        and ranked[0][0] in decisive else None
    if unique_best:
        named = registry.by_id[unique_best[0]].name
        note = f"转发邮件：{'由“' + forwarder.name + '”' if forwarder else ''}转发，材料写明“{named}”，按材料归属"
        return Identification(unique_best[0], "forward_content", [], note, forwarder=by)
    if forwarder is not None and not unique_best and not names_another_body(envelope, files, forwarder):
        return Identification(by, "forwarder_own", [], f"“{forwarder.name}”转发本单位人员的邮件，按本单位报送处理",
                              forwarder=by)
    candidates = list(dict.fromkeys(([by] if by else []) + [u for u, _ in ranked[:3]]))
    who = f"“{forwarder.name}”" if forwarder else "发件人"
    origin = f"（原发件人 {origins[0]} 未登记）" if origins else "（未写明原发件人地址）"
    return Identification(None, "forward_unknown", candidates,
                          f"{who}转发了他人的邮件{origin}，无法确定是哪个单位的报送，不计入{who}的材料",
                          forwarder=by)
