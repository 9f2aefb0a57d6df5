"""Activities with their true values, and the many ways units spell them in tables.

The truth (``ExpectedActivity``) is decided first; spellings are drawn afterwards and
always normalize back to the truth (9月上旬 -> 09-01..09-10, 1.2万人次 -> 12000).
"""
from __future__ import annotations

import random
from datetime import date

from .model import ExpectedActivity, Unit
from .units import town_of

TOPICS = ["人工智能", "数字素养", "卫生健康", "食品安全", "农业生产", "低碳生活", "防灾避险", "安全生产",
          "心理健康", "防震减灾", "消防安全", "节约用水", "防范电信诈骗", "垃圾分类", "合理用药", "航空航天"]
SLOGANS = ["科技强国 你我同行", "提升全民科学素质 夯实科技强国基础", "科学点亮生活", "走近科学 拥抱未来",
           "科普惠民 共建共享"]
OFFLINE_TITLES = ["{topic}科普讲座", "{topic}知识进社区", "{topic}科普宣传活动", "“{slogan}”{topic}主题科普展",
                  "{topic}科普进校园", "{topic}科普志愿服务", "科普大篷车进{town}", "{topic}科普知识培训",
                  "“科学之夜”{topic}体验活动", "{topic}科技下乡服务", "{topic}应急演练科普"]
ONLINE_TITLES = ["{topic}线上知识竞赛", "{topic}科普直播", "“千万IP创科普”{topic}短视频征集", "{topic}云课堂"]
HYBRID_TITLES = ["“{slogan}”全国科普月主场活动", "{topic}科普报告会", "{topic}主题科普周"]
PLACES = ["{town}文化广场", "{town}新时代文明实践站", "{county}第二实验小学", "{town}党群服务中心",
          "{county}图书馆", "{town}卫生院", "{county}科技馆报告厅", "{town}中心小学"]
ONLINE_PLACES = ["线上", "抖音直播间", "“唐山科协”微信公众号", "腾讯会议", "学习强国平台"]
FORMAT_WORDS = {"offline": ["线下"], "online": ["线上", "网络"], "hybrid": ["线上+线下", "线上线下结合"]}
WEEKDAYS = "一二三四五六日"


def make_activities(rng: random.Random, unit: Unit, n: int) -> list[ExpectedActivity]:
    acts: list[ExpectedActivity] = []
    titles: set[str] = set()
    while len(acts) < n:
        county, town = town_of(rng, unit)
        fmt = rng.choices(["offline", "online", "hybrid"], [0.72, 0.16, 0.12])[0]
        pattern = rng.choice({"offline": OFFLINE_TITLES, "online": ONLINE_TITLES, "hybrid": HYBRID_TITLES}[fmt])
        title = pattern.format(topic=rng.choice(TOPICS), slogan=rng.choice(SLOGANS), town=town)
        if title in titles:
            continue
        titles.add(title)
        place = rng.choice(PLACES).format(county=county, town=town)
        location = {"offline": place, "online": rng.choice(ONLINE_PLACES), "hybrid": place + "及线上直播"}[fmt]
        start, end = _period(rng)
        acts.append(ExpectedActivity(title, start, end, location, fmt, _participants(rng, fmt)))
    acts.sort(key=lambda a: (a.start_date, a.end_date))
    return acts


def _period(rng: random.Random) -> tuple[date, date]:
    r = rng.random()
    if r < 0.72:
        d = date(2025, 9, rng.randint(1, 30))
        return d, d
    if r < 0.87:
        first = rng.randint(1, 26)
        return date(2025, 9, first), date(2025, 9, rng.randint(first + 1, min(30, first + 8)))
    if r < 0.96:
        lo = rng.choice([1, 11, 21])
        return date(2025, 9, lo), date(2025, 9, lo + 9)
    return date(2025, 9, 1), date(2025, 9, 30)


def _participants(rng: random.Random, fmt: str) -> int | None:
    if rng.random() < 0.05:
        return None
    if fmt == "offline":
        n = rng.randint(3, 200) * 10
        return n if rng.random() < 0.7 else n + rng.randint(1, 9)
    return rng.choice([rng.randint(11, 60) * 1000, rng.randint(20, 900) * 10])


# ---- spellings -------------------------------------------------------------------------------

def spell_date(rng: random.Random, start: date, end: date, allow_cell: bool = False):
    """A cell value (str, or a date when allow_cell) that means start..end in September 2025."""
    m, d1, d2 = start.month, start.day, end.day
    if start == end:
        options: list[str | date] = [f"2025年{m}月{d1}日", f"{m}月{d1}日", f"2025.{m}.{d1}", f"{m}.{d1}", f"2025/{m}/{d1}",
                   f"{m}月{d1}日（周{WEEKDAYS[start.weekday()]}）", f"2025-{m:02d}-{d1:02d}"]
        if allow_cell:
            options += [start, start]
        return rng.choice(options)
    if (d1, d2) in ((1, 10), (11, 20), (21, 30)) and rng.random() < 0.8:
        part = {1: "上旬", 11: "中旬", 21: "下旬"}[d1]
        return rng.choice([f"9月{part}", f"2025年9月{part}"])
    return rng.choice([f"{m}月{d1}日-{d2}日", f"{m}月{d1}日—{m}月{d2}日", f"2025年{m}月{d1}日——{d2}日",
                       f"{m}.{d1}-{m}.{d2}", f"{m}月{d1}日至{m}月{d2}日", f"{m} 月 {d1} 日—{m} 月 {d2} 日"])


def spell_count(rng: random.Random, n: int | None, allow_number: bool = False):
    """A cell value meaning n people (None -> empty)."""
    if n is None:
        return rng.choice(["", "—", "/"])
    if n >= 10000 and n % 1000 == 0 and rng.random() < 0.7:
        wan = f"{n / 10000:g}"
        return rng.choice([f"{wan}万人次", f"{wan}万人", f"{wan}万"])
    options: list[str | int] = [str(n), f"{n}人", f"{n}人次"]
    if n % 10 == 0:
        options += [f"约{n}人", f"{n}余人"]
    if n % 100 == 0:
        options += [f"{n}多名", f"近{n}名"]
    if allow_number:
        options += [n, n, n]
    return rng.choice(options)


def spell_format(rng: random.Random, fmt: str | None) -> str:
    return "" if fmt is None else rng.choice(FORMAT_WORDS[fmt])


def split_online_offline(rng: random.Random, act: ExpectedActivity) -> tuple[int | None, int | None]:
    """(online, offline) counts that add up to the activity's participants."""
    n = act.participants
    if n is None:
        return None, None
    if act.format == "online":
        return n, None
    if act.format == "offline":
        return None, n
    online = rng.randint(1, max(1, n - 1)) if n > 1 else n
    return online, n - online


def prose_item(rng: random.Random, index: int, act: ExpectedActivity) -> str:
    """One activity told as a numbered paragraph, the way a narrative-only report does."""
    when = spell_date(rng, act.start_date, act.end_date)
    count = "" if act.participants is None else f"，参与群众{spell_count(rng, act.participants)}"
    where = f"在{act.location}" if act.location else ""
    num = "一二三四五六七八九十"[index] if index < 10 else str(index + 1)
    return f"（{num}）{act.title}。{when}，{where}组织开展{act.title}{count}，取得良好效果。"
