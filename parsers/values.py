"""Fail-closed parsing of activity-table cells: dates, participant counts, format.

A parser here returns a value only when it is sure of it. Otherwise the value is None
and a flag says why; the cell's text is always kept in ``raw``. General libraries
(jionlp, dateparser) give confident wrong answers on these cells (jionlp read `9.15日` as 10-15), so
this is a small hand-written grammar. Nothing here raises on bad input.

Every string goes through the same steps: NFKC (full-width digits and punctuation),
Chinese numerals to digits, then the cell-specific grammar below.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from parsers.parsed import Activity, RawActivity

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug included)
SERIAL_RANGE = (36526, 73051)  # 2000-01-01 .. 2099-12-31: a bare number outside is not a date
EMPTY_TEXTS = {"", "-", "/", "\\", "无", "暂无", "空", "n/a", "na", "none", "null", "nan"}

_DAYPART = r"(?:上午|下午|晚上|中午|早上|傍晚|晚)?"
_CLOCK = _DAYPART + r"(?<![\d.])\d{1,2}:\d{2}(?::\d{2})?"
_ON = r"线上|网上|网络|在线|直播|云上|云端|online"
_OFF = r"线下|现场|实地|到场|offline"

# The one regex table: every pattern the parsers use (shared, dates, counts, format).
RX = {name: re.compile(pattern) for name, pattern in {
    "cn_run": r"(?<![几数若])[〇○零一二两三四五六七八九十][〇○零一二两三四五六七八九十百千万]*",
    "dash": r"[-‐‑‒–—―−~〜～﹣－]+",
    "weekday": r"(?:周|星期|礼拜)[一二三四五六日天1-7]",
    "clock": _CLOCK + r"(?:\s*(?:-|至|到)\s*" + _CLOCK + r")?",
    "hour": _DAYPART + r"(?<!\d)\d{1,2}[时点](?:\d{1,2}分|半|整)?",
    "daypart": r"上午|下午|晚上|中午|早上|傍晚|全天|白天",
    "empty_parens": r"[(\[【]\s*[)\]】]",
    "space": r"(?<!\d)\s+|\s+(?![\d\s])",  # "9 月 16 日" closes up; "9 15" stays apart (and fails)
    "ymd8": r"(20\d{2})(0[1-9]|1[0-2])(\d{2})",
    "ymd": r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)日?",
    "ym": r"(?<!\d)(\d{4})[./](\d{1,2})(?![\d.])",
    "md": r"(?<![\d./])(\d{1,2})[./](\d{1,2})(?![\d./])日?",
    "day_range": r"(?:(?<=月)|^)(\d{1,2})(?=(?:-|至|到)\d{1,2}[日号])",  # 9月15-16日, 15-16日
    "bare_end_day": r"(?<=[日号])(-|至|到)(1[3-9]|2\d|3[01])$",  # 2025.9.15-16; a 12 could be December
    "from_word": r"起(?=-|至|到)",  # 9月15日起至30日
    "open_start": r"^(?:即日|今日|今天|即时)起?(?:-|至|到)?",
    "open_end": r"(?:起|开始|以后|至今)$",
    "list_sep": r"[、,;/和及&]",
    "range_sep": r"-|至|到",
    "point": r"(?:(?P<y>\d{4})年)?(?:(?P<m>\d{1,2})月)?(?:(?P<d>\d{1,2})[日号])?"
             r"(?P<p>上中旬|中下旬|上旬|中旬|下旬|份|全月|整月)?",
    "serial": r"\d{5}(?:\.0+)?",
    "week": r"(?:(\d{4})年)?(\d{1,2})月(?:的)?第(\d)周",
    "magnitude": r"(?:近|约|将近|接近|逾|超过?)?([百千万])(?:余|多)?(?:人次|人|名)?",
    "vague": r"(?:上|数|几|若干|成)[十百千万]|成千上万|成百上千",
    "spaces": r"\s+",
    "count_range": r"\d(?:[万千百kw]|人次|人|名)?(?:-|至|到|或)\d",
    "thousands": r"(?<=\d),(?=\d{3}(?!\d))",
    "mention": r"(?<![\d.第])(\d+(?:\.\d+)?)(余|多|\+)?([万千百kw])?",
    "qualifier": r"^(?:余|多|\+|以上|左右)*",
    # a channel named after its figure: "500(线上)+200(线下)", "300人线下"
    "channel_after": r"^(?:人次|人|名)?(?:\((?:" + _ON + "|" + _OFF + r")\)|(?:" + _ON + "|" + _OFF
                     + r")(?=[+、,;/]|$))",
    "online": _ON,
    "offline": _OFF,
    "hybrid": r"混合|hybrid",
    "offline_weak": r"讲座|展览|展示|参观|讲堂|培训|比赛|竞赛|演出|义诊|咨询|体验",
}.items()}

PERIODS = {"上旬": (1, 10), "中旬": (11, 20), "下旬": (21, 31), "上中旬": (1, 20), "中下旬": (11, 31)}
NOT_PERSON = set("场次期天日月年个所家校元篇条份项届号岁时分秒小周讲节课套本册件组户批轮%平米㎡间座辆台部张幅块几")
MULTIPLIERS = {"万": 10000, "w": 10000, "千": 1000, "k": 1000, "百": 100}
CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "○": 0, "两": 2}
CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


@dataclass(frozen=True)
class DateSpan:
    start: date | None
    end: date | None
    raw: str  # the cell as text ("" for None)
    flag: str | None  # None when sure; else "empty", "unparsed", "ambiguous", "out_of_campaign_year"


@dataclass(frozen=True)
class Count:
    total: int | None
    offline: int | None
    online: int | None
    raw: str
    flag: str | None  # None when sure; else "empty", "unparsed", "ambiguous", "vague" (上千人: total None),
    # or "approximate" (近千人: total 1000, a round figure the unit did not count)


class _Fail(Exception):
    """Internal: the grammar gave up; ``args[0]`` is the flag."""


# --- shared text helpers -----------------------------------------------------

def cell_text(value: Any) -> str:
    """How a cell value is shown as text: dates ISO, 12.0 → "12", None/NaN → ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _is_empty(raw: str) -> bool:
    return raw.lower() in EMPTY_TEXTS or bool(RX["dash"].fullmatch(raw))


def _cn_number(run: str) -> int | None:
    """二〇二五 → 2025, 十五 → 15, 一千零五 → 1005, 三百五 → 350; None for 一两百 (a guess)."""
    if not any(c in CN_UNITS for c in run):
        return int("".join(str(CN_DIGITS[c]) for c in run))
    total = section = 0
    num, last_unit, zero_seen = None, 1, False
    for c in run:
        if c in CN_DIGITS:
            if num:  # two non-zero digits in a row: 一两百, 五六十
                return None
            zero_seen = zero_seen or CN_DIGITS[c] == 0
            num = CN_DIGITS[c]
        elif c == "万":
            total, section, num, last_unit = (section + (num or 0)) * 10000, 0, None, 10000
        else:
            section += (num or 1) * CN_UNITS[c]
            num, last_unit = None, CN_UNITS[c]
    if num and last_unit >= 100 and not zero_seen:  # colloquial 三百五 = 350, 一万二 = 12000
        num *= last_unit // 10
    return total + section + (num or 0)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = RX["weekday"].sub("", text)  # before numerals: 周六 is not a 6
    text = RX["cn_run"].sub(lambda m: str(n) if (n := _cn_number(m.group())) is not None else m.group(), text)
    return RX["dash"].sub("-", text)


# --- dates ---------------------------------------------------------------------

def parse_dates(value: Any, year: int = 2025, month: int | None = None) -> DateSpan:
    """A cell → DateSpan. Never raises. ``month``: the month a cell naming days only ("23-24日", "全月")
    is in, when the table around it says so; without it such a cell is unparsed."""
    raw = cell_text(value)
    try:
        if _is_empty(raw):
            return DateSpan(None, None, raw, "empty")
        start, end, years = _dates_of(value, year, month)
    except _Fail as fail:
        return DateSpan(None, None, raw, fail.args[0])
    except Exception:  # the last guard of a fail-closed parser
        return DateSpan(None, None, raw, "unparsed")
    if start is None or end is None:
        return DateSpan(start, end, raw, "ambiguous")
    flag = "out_of_campaign_year" if any(y != year for y in years) else None
    return DateSpan(start, end, raw, flag)


def _dates_of(value: Any, year: int, month: int | None = None) -> tuple[date | None, date | None, set[int]]:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value, value, {value.year}
    if isinstance(value, bool):
        raise _Fail("unparsed")
    if isinstance(value, (int, float)):
        return _dates_of_number(value, year)
    return _dates_of_text(str(value), year, month)


def _dates_of_number(value: int | float, year: int) -> tuple[date | None, date | None, set[int]]:
    if SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
        day = EXCEL_EPOCH + timedelta(days=int(value))  # a fraction is the time of day
        return day, day, {day.year}
    if isinstance(value, int) or value.is_integer():
        return _dates_of_text(str(int(value)), year)  # 20250915
    text = repr(value)
    frac = text.partition(".")[2]
    if len(frac) == 1 and frac in "123":  # 9.1 may be "9.10" that Excel shortened
        raise _Fail("ambiguous")
    return _dates_of_text(text, year)


def _dates_of_text(text: str, year: int, month: int | None = None) -> tuple[date | None, date | None, set[int]]:
    s = _normalize(text)
    s = RX["clock"].sub("", s)
    s = RX["hour"].sub("", s)
    s = RX["daypart"].sub("", s)
    s = RX["empty_parens"].sub("", s)
    s = RX["space"].sub("", s).strip()
    if RX["serial"].fullmatch(s) and SERIAL_RANGE[0] <= float(s) <= SERIAL_RANGE[1]:
        return _dates_of_number(float(s), year)
    s = RX["week"].sub(lambda m: _week_range(m, year), s)
    s = RX["ymd8"].sub(r"\1年\2月\3日", s) if RX["ymd8"].fullmatch(s) else s
    s = RX["ymd"].sub(r"\1年\2月\3日", s)
    s = RX["ym"].sub(r"\1年\2月", s)
    s = RX["md"].sub(r"\1月\2日", s)
    s = RX["day_range"].sub(r"\1日", s)
    s = RX["bare_end_day"].sub(r"\1\2日", s)
    s = RX["from_word"].sub("", s)
    open_start = RX["open_start"].match(s)
    if open_start:
        s = s[open_start.end():]
    open_end = RX["open_end"].search(s)
    if open_end:
        s = s[:open_end.start()]
    if open_start and open_end:
        raise _Fail("unparsed")
    lo, hi, years = _span_of(s, year, month)
    return (None if open_start else lo), (None if open_end else hi), years


def _week_range(m: re.Match, year: int) -> str:
    """"9月第3周" → that week, Monday to Sunday, as "9月15日-9月21日". 第1周 is the week holding the 1st
    (the calendar a clerk looks at: its first row), and a week is cut to the month at both ends."""
    y, month, n = int(m[1] or year), int(m[2]), int(m[3])
    try:
        first = date(y, month, 1)
    except ValueError:
        raise _Fail("unparsed") from None
    last = date(y + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    monday = first - timedelta(days=first.weekday()) + timedelta(weeks=n - 1)
    start, end = max(monday, first), min(monday + timedelta(days=6), last)
    if n < 1 or start > last:
        raise _Fail("unparsed")
    lead = f"{m[1]}年" if m[1] else ""
    return f"{lead}{month}月{start.day}日-{month}月{end.day}日"


def _span_of(s: str, year: int, month: int | None = None) -> tuple[date, date, set[int]]:
    """"9月1日-30日", "9月20日、21日", "9月上旬" → (first day, last day, explicit years)."""
    context = {"y": year, "m": month}
    years: set[int] = set()
    spans = []
    for group in RX["list_sep"].split(s):
        ends = RX["range_sep"].split(group)
        if len(ends) > 2 or "" in ends:
            raise _Fail("unparsed")
        points = [_point(end, context, years) for end in ends]
        lo, hi = points[0][0], points[-1][1]
        if hi < lo:  # 9月28日-3日: October or a typo? do not guess
            raise _Fail("ambiguous")
        spans.append((lo, hi))
    return min(lo for lo, _ in spans), max(hi for _, hi in spans), years


def _point(text: str, context: dict, years: set[int]) -> tuple[date, date]:
    """One end of a range; missing year and month come from the left ("9月1日-30日")."""
    m = RX["point"].fullmatch(text)
    if not m or not any(m.groups()) or (m["d"] and m["p"]):
        raise _Fail("unparsed")
    if m["y"]:
        context["y"] = int(m["y"])
        years.add(context["y"])
    if m["m"]:
        context["m"] = int(m["m"])
    elif not (m["d"] or m["p"]) or not context["m"]:
        raise _Fail("unparsed")  # "2025年" alone, or "15日" with no month before it
    y, mo = context["y"], context["m"]
    try:
        month_end = (date(y + mo // 12, mo % 12 + 1, 1) - timedelta(days=1)).day
        if m["d"]:
            first = last = int(m["d"])
        else:
            first, last = PERIODS.get(m["p"] or "", (1, 31))
        return date(y, mo, first), date(y, mo, min(last, month_end))
    except ValueError:
        raise _Fail("unparsed") from None


# --- counts --------------------------------------------------------------------

def parse_count(value: Any) -> Count:
    """A participants cell → Count. Never raises.

    Segments labelled 线上/线下 are kept apart and summed into ``total``. A breakdown
    (其中…, or in brackets) does not add to the total: "500人次（其中线上300）" gives
    total 500, online 300 and offline None; the rest is not inferred.
    """
    raw = cell_text(value)
    try:
        if _is_empty(raw):
            return Count(None, None, None, raw, "empty")
        if isinstance(value, bool) or isinstance(value, (date, datetime)):
            raise _Fail("unparsed")
        if isinstance(value, (int, float)):
            if value < 0 or not float(value).is_integer():
                raise _Fail("unparsed")
            return Count(int(value), None, None, raw, None)
        return _count_of_text(raw)
    except _Fail as fail:
        return Count(None, None, None, raw, fail.args[0])
    except Exception:
        return Count(None, None, None, raw, "unparsed")


def _count_of_text(raw: str) -> Count:
    # Only an ASCII comma groups thousands; a full-width "，" separates list items
    s = RX["spaces"].sub("", _normalize(RX["thousands"].sub("", raw)))
    if RX["vague"].search(s):
        raise _Fail("vague")  # 上千人, 数百人: no figure to report, and none guessed
    magnitude = RX["magnitude"].fullmatch(s)
    if magnitude:  # 近千人: about a thousand, reported as 1000 and flagged
        return Count(MULTIPLIERS[magnitude[1]], None, None, raw, "approximate")
    if RX["count_range"].search(s):
        raise _Fail("ambiguous")  # 300-500人
    mains: list[tuple[int, str | None]] = []  # (value, channel)
    parts: list[tuple[int, str | None]] = []
    previous_end = 0
    for m in RX["mention"].finditer(s):
        label, previous_end = s[previous_end:m.start()], m.end()
        after = s[m.end():]
        qualifier = RX["qualifier"].match(after)
        after = after[qualifier.end():] if qualifier else after
        if after[:1] in NOT_PERSON and not after.startswith("人"):
            continue  # 3场, 2025年, 9月, 十几人
        named_after = RX["channel_after"].match(after)
        if named_after:
            label = named_after.group()
            previous_end = len(s) - len(after) + named_after.end()
        try:
            number = Decimal(m[1]) * MULTIPLIERS.get(m[3] or "", 1)
        except InvalidOperation:
            raise _Fail("unparsed") from None
        if number != number.to_integral_value():
            raise _Fail("unparsed")  # 1.5人
        is_part = "其中" in s[:m.start()] or s[:m.start()].count("(") > s[:m.start()].count(")")
        (parts if is_part else mains).append((int(number), _channel(label)))
    return _combine(mains, parts, raw)


def _channel(label: str) -> str | None:
    online, offline = RX["online"].search(label), RX["offline"].search(label)
    return None if bool(online) == bool(offline) else ("online" if online else "offline")


def _combine(mains: list, parts: list, raw: str) -> Count:
    if not mains:
        raise _Fail("unparsed")
    totals = [n for n, channel in mains if channel is None]
    labelled = [(n, c) for n, c in mains if c is not None]
    if len(totals) > 1:
        raise _Fail("ambiguous")  # 第一场200人，第二场300人: not summed blindly
    if totals:
        total, breakdown = totals[0], labelled + [(n, c) for n, c in parts if c]
    elif parts:
        raise _Fail("ambiguous")
    else:
        total, breakdown = sum(n for n, _ in labelled), labelled
    by_channel: dict[str, int] = {}
    for n, channel in breakdown:
        if channel in by_channel:
            raise _Fail("ambiguous")
        by_channel[channel] = n
    if sum(by_channel.values()) > total:
        raise _Fail("ambiguous")
    return Count(total, by_channel.get("offline"), by_channel.get("online"), raw, None)


# --- format --------------------------------------------------------------------

def parse_format(value: Any) -> str | None:
    """"线上" → online, "现场"/"讲座" → offline, "线上+线下"/"混合" → hybrid, else None."""
    text = unicodedata.normalize("NFKC", cell_text(value)).lower()
    online, offline = RX["online"].search(text), RX["offline"].search(text)
    if RX["hybrid"].search(text) or (online and offline):
        return "hybrid"
    if online:
        return "online"
    if offline or RX["offline_weak"].search(text):
        return "offline"
    return None


# --- activities ----------------------------------------------------------------

def normalize_activity(raw: RawActivity, year: int = 2025, month: int | None = None) -> Activity:
    """RawActivity → Activity with flags such as "date_ambiguous", "participants_unparsed".

    A missing or empty date is flagged ("date_empty"); an empty participants cell is not
    (many tables have no such column), nor is an empty format cell. ``month``: see ``parse_dates``.
    """
    fields = raw.fields
    text = {key: cell_text(value) for key, value in fields.items()}
    flags: list[str] = []

    span = activity_dates(fields, year, month)
    if span.raw and not text.get("date"):
        text["date"] = span.raw  # what replies and fixes quote
    if span.flag:
        flags.append(f"date_{span.flag}")

    count = _participants(fields, flags)
    fmt = parse_format(fields.get("format"))
    if fmt is None and text.get("format"):
        flags.append("format_unparsed")
    if fmt is None and count is not None and (count.online or count.offline):
        fmt = {(True, True): "hybrid", (True, False): "online", (False, True): "offline"}[
            (bool(count.online), bool(count.offline))]  # a channel counted 0 was not used

    return Activity(
        title=text.get("title", ""),
        start_date=span.start,
        end_date=span.end,
        location=_place_text(text.get("location")),
        organizer=_place_text(text.get("organizer")),
        format=fmt,
        participants=count.total if count else None,
        participants_offline=count.offline if count else None,
        participants_online=count.online if count else None,
        source=raw.source,
        raw={key: value for key, value in text.items() if value},
        flags=flags,
        extra={str(h): t for h, v in raw.extra.items() if (t := cell_text(v))},
        rank=raw.rank,
    )


def _place_text(text: str | None) -> str | None:
    """A place or organizer cell; "—", "无", "/" mean the unit left it empty."""
    return None if not text or _is_empty(text) else text


def activity_dates(fields: dict[str, Any], year: int = 2025, month: int | None = None) -> DateSpan:
    """The dates of a row: one 活动时间 cell, or a start and an end column (开始 | 结束).

    An empty end means a one-day activity (or the start cell's own range); an end
    before the start is not guessed at.
    """
    day = parse_dates(fields.get("date"), year, month)
    if "date_start" not in fields and "date_end" not in fields:
        return day
    start_value = fields.get("date_start")
    start, end = parse_dates(start_value, year, month), parse_dates(fields.get("date_end"), year, month)
    if day.flag != "empty" and start.flag in ("empty", "unparsed"):
        return day  # 活动日期 | 开始时间 9:00 | 结束时间 11:30: the clock columns hold no dates
    if end.flag == "empty":
        return start
    raw = f"{start.raw}至{end.raw}" if start.raw else end.raw
    if start.flag == "empty":
        return DateSpan(None, end.end, raw, "ambiguous")  # only an end: when did it start?
    if end.flag in ("unparsed", "ambiguous") and start.start is not None:
        # "9月1日" | "30日": the end borrows the start's month when read as one range
        joined = parse_dates(f"{cell_text(start_value)}至{end.raw}", year, month)
        if joined.flag in (None, "out_of_campaign_year"):
            return DateSpan(joined.start, joined.end, raw, joined.flag)
    for part in (start, end):
        if part.flag not in (None, "out_of_campaign_year"):
            return DateSpan(start.start, end.end, raw, part.flag)
    if end.end is not None and start.start is not None and end.end < start.start:
        return DateSpan(start.start, None, raw, "ambiguous")
    return DateSpan(start.start, end.end, raw, start.flag or end.flag)


def _participants(fields: dict[str, Any], flags: list[str]) -> Count | None:
    """Separate offline/online columns win when they parse; else the participants cell."""
    split = {key: parse_count(fields.get(f"participants_{key}")) for key in ("offline", "online")}
    given = {key: c for key, c in split.items() if c.flag != "empty"}
    failed = [key for key, c in given.items() if c.flag and c.flag != "approximate"]
    for key in failed:
        flags.append(f"participants_{key}_{given[key].flag}")
    if given and not failed:
        offline, online = split["offline"].total, split["online"].total
        total = (offline or 0) + (online or 0)
        return Count(total, offline, online, "", None)
    count = parse_count(fields.get("participants"))
    if count.flag == "empty":
        return None
    if count.flag:
        flags.append(f"participants_{count.flag}")
    return count
