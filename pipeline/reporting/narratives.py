"""The units' own words: 工作成效, 典型案例 and 意见建议 from their Word summaries, and the suggestions
grouped by what they ask for.

A summary's sections are stored per message as heading -> text (``parsers/docx.py``); a unit's
narrative is the one of its newest accepted message that carries one. Headings vary ("二、工作成效",
"取得成效", "（三）存在问题和建议"), so each is sorted into a kind by the words it contains.

Suggestions are grouped by THEMES, a small keyword table: a sentence joins every theme whose words it
contains ("建议加大经费投入，延长报送时间" is under 经费 and under 延期), and a sentence that names none
is under 其他. The table is the whole method: no model, so an admin can read why a sentence is where
it is, and add a word when a group is missed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from pipeline.ledger.rows import MessageRow

# kind -> words in a heading; checked in this order (典型案例 before 成效: "典型案例及成效")
SECTION_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("case", ("案例",)),
    ("suggestion", ("建议", "存在问题", "存在的问题", "问题")),
    ("effect", ("成效", "亮点", "成果", "效果")),
    ("practice", ("开展情况", "做法", "措施", "基本情况", "组织")),
]
KIND_CN = {"practice": "主要做法", "effect": "工作成效", "case": "典型案例", "suggestion": "意见建议"}

THEMES: list[tuple[str, tuple[str, ...]]] = [
    ("统一模板", ("模板", "模版", "格式", "统一表", "口径", "表格")),
    ("经费", ("经费", "资金", "投入", "补贴", "预算")),
    ("延期", ("延期", "延长", "推迟", "时间紧", "时间短", "提前通知", "提前下发", "截止")),
    ("平台填报", ("平台", "系统填报", "重复填报")),
    ("队伍和培训", ("队伍", "人才", "志愿者", "专家", "培训")),
    ("科普资源", ("资源", "展品", "资料", "设备", "场馆", "大篷车")),
    ("宣传", ("宣传", "媒体", "报道")),
    ("基层倾斜", ("基层", "乡村", "农村", "社区")),
    ("表扬激励", ("表彰", "表扬", "激励", "考核", "评优")),
]
OTHER = "其他"
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")


@dataclass
class UnitNarrative:
    unit_id: str
    name: str
    category: str
    message_id: str
    received_at: str
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kind -> [(heading, text)]

    def text(self, kind: str) -> str:
        return "\n".join(t for _, t in self.sections.get(kind, []) if t)


@dataclass
class Quote:
    unit_id: str
    unit: str
    text: str


@dataclass
class ThemeGroup:
    theme: str
    quotes: list[Quote]

    @property
    def units(self) -> int:
        return len({q.unit_id for q in self.quotes})


def section_kind(heading: str) -> str | None:
    for kind, words in SECTION_WORDS:
        if any(w in heading for w in words):
            return kind
    return None


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text or "") if len(s.strip()) > 1]


def unit_narratives(data: Mapping[str, Any], ledger_rows: Iterable[MessageRow]) -> dict[str, UnitNarrative]:
    """unit_id -> the narrative of its newest accepted message that has one (``ledger_rows``: the
    ledger's messages, each with its narrative sections)."""
    stored = {r.ident: r.narrative for r in ledger_rows}
    units = {u["unit_id"]: u for u in data["units"]}
    out: dict[str, UnitNarrative] = {}
    for m in sorted(data["messages"], key=lambda m: m["received_at"] or ""):
        unit = units.get(m["unit_id"] or "")
        if unit is None or m["status"] != "accepted":
            continue
        raw = stored.get(m["message_id"]) or {}
        sections: dict[str, list[tuple[str, str]]] = {}
        for heading, text in (raw.items() if isinstance(raw, dict) else []):
            kind = section_kind(heading)
            if kind and str(text).strip():
                sections.setdefault(kind, []).append((heading, str(text).strip()))
        if sections:
            out[unit["unit_id"]] = UnitNarrative(unit["unit_id"], unit["name"], unit["category"],
                                                 m["message_id"], m["received_at"] or "", sections)
    return out


def themes_of(sentence: str) -> list[str]:
    found = [theme for theme, words in THEMES if any(w in sentence for w in words)]
    return found or [OTHER]


def group_suggestions(narratives: Mapping[str, UnitNarrative]) -> list[ThemeGroup]:
    """Every sentence of every 意见建议 section under each theme it names; groups with most units first."""
    groups: dict[str, list[Quote]] = {}
    for n in narratives.values():
        for sentence in sentences(n.text("suggestion")):
            for theme in themes_of(sentence):
                groups.setdefault(theme, []).append(Quote(n.unit_id, n.name, sentence))
    order = [t for t, _ in THEMES] + [OTHER]
    result = [ThemeGroup(t, groups[t]) for t in order if t in groups]
    return sorted(result, key=lambda g: (g.theme == OTHER, -g.units, order.index(g.theme)))


def cases(narratives: Mapping[str, UnitNarrative]) -> list[Quote]:
    return [Quote(n.unit_id, n.name, n.text("case")) for n in narratives.values() if n.text("case")]
