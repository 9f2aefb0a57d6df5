"""Who to commend: units ranked by the notice's three criteria, activities by reach and response.

The notice: "对组织动员有力、亮点特色突出、服务基层有效的单位和影响大、反映好的活动予以表扬". These are pure
functions of the export dataset, the units' narratives (``narratives.py``) and what the units' own
tables say about the platform; every point comes with the activity or sentence that earned it, so a
person can see why a unit ranks where it does. A person decides (the console's 拟表扬 page).

Units (each criterion 0..100, the total is their sum):
- 组织动员有力: activities against the quota (50 at twice the quota), submitted by the deadline (20),
  share of activities registered on the national platform (30; the imported platform list when there is
  one, else the unit's own 是否平台填报 column; no data, no points).
- 亮点特色突出: new technology (40), #千万IP创科普# (30), a 主场活动 (30), in an activity's title or place
  or a sentence of the unit's summary.
- 服务基层有效: share of activities in schools, villages, communities, enterprises, barracks and offices
  (50), 10 for each of those kinds reached (at most 30), participants (20 at 10,000 people).
Activities (0..100): participants online and offline (60 at 100,000, on a log scale), media named in a
sentence that names the activity (25), a good response said of it (15), the unit's summary mentioning
media at all (5), the activity being the unit's 典型案例 (10).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from pipeline.reporting.narratives import UnitNarrative, sentences

TECH = re.compile(r"人工智能|(?<![A-Za-z])AI(?![A-Za-z])|大模型|机器人|无人机|虚拟现实|(?<![A-Za-z])VR(?![A-Za-z])"
                  r"|元宇宙|数字人|低空|智能|DeepSeek|算力", re.I)
IP = re.compile(r"千万\s*IP\s*创科普", re.I)
HOME = re.compile(r"主场活动")
PLACES: dict[str, tuple[str, ...]] = {
    "学校": ("学校", "小学", "中学", "校园", "幼儿园", "学院", "大学", "课堂"),
    "村": ("村", "乡", "镇", "田间", "下乡"),
    "社区": ("社区", "街道", "小区", "文明实践", "党群服务中心"),
    "企业": ("企业", "公司", "厂", "车间", "园区"),
    "军营": ("军营", "部队", "营区", "武警", "军人"),
    "机关": ("机关", "政府", "党校"),
}
MEDIA = re.compile(r"新闻|报道|媒体|电视台|电台|广播|公众号|日报|晚报|头条|抖音|视频号|学习强国|新华|人民网|央视")
PRAISE = re.compile(r"反响良好|反响热烈|好评|点赞|广泛关注|热烈欢迎|一致认可|满意|受到欢迎|反映良好")
YES = re.compile(r"^(是|已|已填报|已上传|已录入|已登记|√|✓|y|yes|1)", re.I)
NO = re.compile(r"^(否|未|无|没有|×|✗|n|no|0)", re.I)


@dataclass
class Evidence:
    points: float
    text: str  # what earned them, in Chinese: "活动《…》" or "总结·工作成效：……"


@dataclass
class Criterion:
    name: str
    score: float
    max: float
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class UnitCandidate:
    unit_id: str
    name: str
    category: str
    reported: int
    required: int
    criteria: list[Criterion]

    @property
    def total(self) -> float:
        return round(sum(c.score for c in self.criteria), 1)


@dataclass
class ActivityCandidate:
    key: str
    unit_id: str
    unit: str
    title: str
    start_date: str | None
    participants: int
    score: float
    evidence: list[Evidence]


@dataclass
class Shortlist:
    units: list[UnitCandidate]
    activities: list[ActivityCandidate]
    platform_source: str  # where "registered on the platform" came from, in words


def activity_key(a: Mapping[str, Any]) -> str:
    """A name for an activity that survives a reingest: unit, start date and title."""
    return f"{a['unit_id']}|{a.get('start_date') or ''}|{a['title']}"


def declared_platform(value: str | None) -> bool | None:
    """The unit's 是否平台填报 cell: 是/已填报 -> True, 否/未填报 -> False, else None."""
    text = (value or "").strip()
    if NO.match(text):
        return False
    if YES.match(text):
        return True
    return None


def platform_status(a: Mapping[str, Any], data: Mapping[str, Any],
                    declared: Mapping[str, bool | None]) -> bool | None:
    if data.get("platform") and "platform_id" in a:
        return a["platform_id"] is not None
    return declared.get(activity_key(a))


def platform_source(data: Mapping[str, Any], declared: Mapping[str, bool | None]) -> str:
    if data.get("platform"):
        return "全国科普月平台导入清单"
    if any(v is not None for v in declared.values()):
        return "各单位统计表“是否平台填报”栏（尚未导入平台清单）"
    return "暂无平台数据"


def _where(a: Mapping[str, Any]) -> str:
    return f"{a['title']} {a.get('location') or ''}"


def _people(a: Mapping[str, Any]) -> int:
    split = (a.get("participants_offline") or 0) + (a.get("participants_online") or 0)
    return int(a.get("participants") or split or 0)


def _mobilization(u: Mapping[str, Any], acts: list[Mapping], data: Mapping[str, Any],
                  declared: Mapping[str, bool | None]) -> Criterion:
    c = Criterion("组织动员有力", 0.0, 100.0)
    ratio = u["reported"] / u["required"] if u["required"] else (1.0 if u["reported"] else 0.0)
    c.evidence.append(Evidence(round(50 * min(ratio, 2) / 2, 1),
                               f"报送重点活动{u['reported']}项，应报{u['required']}项（{round(100 * ratio)}%）"))
    on_time = u["submitted"] and not u["late"]
    c.evidence.append(Evidence(20.0 if on_time else 0.0, "按截止日期报送" if on_time else "逾期报送"))
    known = [(a, s) for a in acts if (s := platform_status(a, data, declared)) is not None]
    if known:
        yes = [a for a, s in known if s]
        names = "、".join(f"《{a['title']}》" for a in yes[:3]) + ("等" if len(yes) > 3 else "")
        c.evidence.append(Evidence(round(30 * len(yes) / len(known), 1),
                                   f"平台已登记{len(yes)}/{len(known)}项" + (f"：{names}" if yes else "")))
    else:
        c.evidence.append(Evidence(0.0, "暂无该单位活动的平台登记信息"))
    c.score = round(sum(e.points for e in c.evidence), 1)
    return c


def _highlights(acts: list[Mapping], narrative: UnitNarrative | None) -> Criterion:
    c = Criterion("亮点特色突出", 0.0, 100.0)
    lines = [(f"活动《{a['title']}》", _where(a)) for a in acts]
    if narrative is not None:
        for kind, label in (("practice", "主要做法"), ("effect", "工作成效"), ("case", "典型案例")):
            lines += [(f"总结·{label}：{s}", s) for s in sentences(narrative.text(kind))]
    for label, pattern, points in (("新技术", TECH, 40.0), ("#千万IP创科普#", IP, 30.0), ("主场活动", HOME, 30.0)):
        hits = [shown for shown, text in lines if pattern.search(text)]
        if hits:
            more = f"（另{len(hits) - 2}处）" if len(hits) > 2 else ""
            c.evidence.append(Evidence(points, f"{label}：" + "；".join(hits[:2]) + more))
    c.score = sum(e.points for e in c.evidence)
    return c


def place_kinds(text: str) -> list[str]:
    return [kind for kind, words in PLACES.items() if any(w in text for w in words)]


def _grassroots(acts: list[Mapping]) -> Criterion:
    c = Criterion("服务基层有效", 0.0, 100.0)
    reached: dict[str, list[str]] = {}
    local = 0
    for a in acts:
        kinds = place_kinds(_where(a))
        local += bool(kinds)
        for kind in kinds:
            reached.setdefault(kind, []).append(a["title"])
    if acts:
        c.evidence.append(Evidence(round(50 * local / len(acts), 1), f"{local}/{len(acts)}项活动在基层开展"))
    for n, (kind, titles) in enumerate(reached.items()):
        more = f"等{len(titles)}项" if len(titles) > 1 else ""
        c.evidence.append(Evidence(10.0 if n < 3 else 0.0, f"{kind}：《{titles[0]}》{more}"))
    people = sum(_people(a) for a in acts)
    c.evidence.append(Evidence(round(20 * min(1.0, people / 10000), 1), f"参与群众合计{people}人次"))
    c.score = round(sum(e.points for e in c.evidence), 1)
    return c


def _names_activity(sentence: str, title: str) -> bool:
    core = re.sub(r"2025年|全国科普月|[“”\"《》〈〉「」（）()#]", "", title)
    return bool(core) and (core in sentence or (len(core) >= 6 and core[:6] in sentence))


def _activity_candidate(a: Mapping[str, Any], unit_name: str, narrative: UnitNarrative | None) -> ActivityCandidate:
    people = _people(a)
    evidence = [Evidence(round(60 * min(1.0, math.log10(max(people, 1)) / 5), 1),
                         f"参与{people}人次" + (f"（线下{a.get('participants_offline') or 0}，线上"
                                             f"{a.get('participants_online') or 0}）" if "participants_online" in a else ""))]
    if narrative is not None:
        said = [(kind, s) for kind in ("practice", "effect", "case") for s in sentences(narrative.text(kind))]
        named = [(kind, s) for kind, s in said if _names_activity(s, a["title"])]
        media = next((s for _, s in named if MEDIA.search(s)), None)
        praise = next((s for _, s in named if PRAISE.search(s)), None)
        if media:
            evidence.append(Evidence(25.0, f"媒体报道：{media}"))
        if praise:
            evidence.append(Evidence(15.0, f"反映：{praise}"))
        if any(kind == "case" for kind, _ in named):
            evidence.append(Evidence(10.0, "列为本单位典型案例"))
        unit_media = next((s for _, s in said if MEDIA.search(s)), None)
        if unit_media and not media:
            evidence.append(Evidence(5.0, f"单位总结提及宣传报道：{unit_media}"))
    return ActivityCandidate(activity_key(a), a["unit_id"], unit_name, a["title"], a.get("start_date"), people,
                             min(100.0, round(sum(e.points for e in evidence), 1)), evidence)


def build_shortlist(data: Mapping[str, Any], narratives: Mapping[str, UnitNarrative],
                    declared: Mapping[str, bool | None]) -> Shortlist:
    """Submitted units by total score, activities by score (ties: more people, then name)."""
    by_unit: dict[str, list[Mapping]] = {}
    for a in data["activities"]:
        by_unit.setdefault(a["unit_id"], []).append(a)
    units = []
    for u in data["units"]:
        if not u["submitted"]:
            continue
        acts = by_unit.get(u["unit_id"], [])
        narrative = narratives.get(u["unit_id"])
        units.append(UnitCandidate(u["unit_id"], u["name"], u["category"], u["reported"], u["required"],
                                   [_mobilization(u, acts, data, declared), _highlights(acts, narrative),
                                    _grassroots(acts)]))
    names = {u["unit_id"]: u["name"] for u in data["units"]}
    activities = [_activity_candidate(a, names.get(a["unit_id"], a["unit_id"]), narratives.get(a["unit_id"]))
                  for a in data["activities"]]
    units.sort(key=lambda c: (-c.total, c.name))
    activities.sort(key=lambda c: (-c.score, -c.participants, c.title))
    return Shortlist(units, activities, platform_source(data, declared))
