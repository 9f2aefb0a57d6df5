"""Find an activity list in a grid of cells and turn its rows into ``RawActivity`` records.

The grid is one worksheet (from ``spreadsheet``) or one Word table (from ``docx``); in both,
a merged cell's value is repeated over the cells it covers, though a grid may also come with
merged cells left empty (.ods), and this module copes with both.

A header is a row whose labels name an activity title plus a date, place, head count or
format column. Title rows and "填报单位：…" lines above it are passed over; one or two
sub-header rows below it ("参与人数" over "线上 | 线下") are joined to their parent as
"参与人数/线上". Below the header, blank rows, totals, notes, signature footers and repeats
of the header (Word repeats it on every page) are skipped.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Callable

from . import cards
from .parsed import RawActivity

# Canonical field -> header synonyms, most preferred first. A label maps to the field of its
# longest matching synonym, so "单位名称" is an organizer although it contains "名称".
SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("活动名称", "活动主题", "项目名称", "活动内容", "活动项目", "主题", "名称"),
    # 日期 before 时间: beside a 日期 column, a bare 时间 column holds the clock ("9:00-11:30")
    "date": ("活动时间", "开展时间", "举办时间", "举办日期", "活动日期", "开展日期", "日期", "时间"),
    "location": ("活动地点", "举办地点", "开展地点", "活动场所", "活动场地", "地点", "场所", "地址"),
    "organizer": ("主办单位", "承办单位", "组织单位", "举办单位", "实施单位", "开展单位",
                  "单位名称", "主办", "承办", "单位"),
    "format": ("活动形式", "线上线下", "线上/线下", "开展形式", "形式", "方式"),
    "participants": ("参与人数", "参加人数", "受众人数", "参加人次", "参与人次", "覆盖人数",
                     "受益人数", "服务人数", "受众人次", "受益群众", "参与群众", "服务群众", "覆盖群众",
                     "观众", "人次", "人数", "受众"),
    "contact": ("联系人", "负责人"),
    "phone": ("联系电话", "联系方式", "电话", "手机"),
    "remark": ("备注", "说明"),
    "platform": ("是否在平台填报", "平台填报", "是否填报"),
    "rank": ("是否重点活动", "是否重点", "活动类别", "活动级别", "活动等级", "活动类型", "重点/一般"),
    "status": ("开展情况", "完成情况", "活动状态", "状态"),
}
_DROP = ("序号", "编号")
_NOT_PARTICIPANTS = ("对象", "群体", "类型")  # "受众对象" names who, not how many
_COUNT_UNIT = re.compile(r"\((?:万)?(?:人|人次|名)\)")
_ONLINE = ("线上", "网上", "在线", "网络")
_OFFLINE = ("线下", "现场", "实地")
# A date column's own label (or a sub-label under 活动时间) saying which end it holds;
# "起止时间" names both ends and stays one "date" column.
_START = ("开始", "起始", "起")
_END = ("结束", "截止", "终止", "止")
_SECOND_FIELDS = {"date", "date_start", "date_end", "location", "participants", "participants_online",
                  "participants_offline", "format"}

_TITLE_WORDS = re.compile("|".join(SYNONYMS["title"]))
_SECOND_WORDS = re.compile("|".join(w for f in ("date", "location", "format", "participants")
                                    for w in SYNONYMS[f]))
_TOTALS = re.compile(r"^(合计|总计|小计|共计|总数|累计)([:(].*)?$")
_FOOTERS = ("填表人", "审核人", "填报人", "制表", "审核", "填报日期", "填表日期", "单位负责人",
            "负责人签字", "签字", "盖章", "单位(盖章)")
_NOTE_ROW = re.compile(r"^(注|说明|备注|填表说明|填报说明|填写说明)\s*\d*\s*[:.、]")
_SECTION_ROW = re.compile(r"^([一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|第[一二三四五六七八九十]+)")
_LABEL_VALUE = re.compile(r"^[^()]{1,8}:.+")  # "填报单位:XX区科协", "联系人:张三"
# A template's example row: a leading "(示例)" / "示例:" / "例:" / "例如", a cell that only says
# 示例, an explicit "此行为示例", or placeholder text (XX, ××, 某某) in the title. Kept narrow:
# titles merely containing 例 (病例, 案例分享会, 例会) are activities.
_EXAMPLE_LEAD = re.compile(r"^(?:[(\[【<《]\s*(?:示例|样例|范例|举例|例)\s*\d*\s*[)\]】>》]"
                           r"|(?:示例|样例|范例|举例|例如|例)\s*\d*\s*[:.、]|例如)")
_EXAMPLE_CELL = re.compile(r"^(?:示例|样例|范例|例|举例|示例行)\d*$")
_EXAMPLE_TEXT = re.compile(r"此行为?示例|示例行|填写示例|填表示例|填写说明|(?:此行|本行)(?:仅)?(?:为|作)?(?:参考|样例|范例)")
_PLACEHOLDER = re.compile(r"(?<![a-z])(?:x{2,}|×{2,}|某某)(?![a-z])")

_HEADER_SCAN = 30  # rows searched for the first header
_MAX_LABEL = 30
_MAX_SUBHEADER_ROWS = 2


@dataclass
class _Header:
    rows: int  # how many grid rows the header occupies
    labels: list[str]  # combined label per column ("参与人数/线上")
    fields: dict[str, list[int]]  # canonical field -> its columns (adjacent repeats of one label)
    extra: dict[str, list[int]]  # unknown label -> its columns
    dropped: set[int]
    keys: list[tuple[str, ...]]  # normalized texts of the header rows, to spot repeats


Locate = Callable[[int], str]  # grid row index -> where it sits in the file ("R7", "C2")


def extract_activities(rows: list[list[Any]], source: str, rank: str = "key") -> tuple[list[RawActivity], list[str]]:
    """Activities of one sheet or Word table; ``source`` like "活动表.xlsx!Sheet1"; ``rank`` that of rows
    no column or section marks (a sheet named 一般活动 holds general ones).

    The header is looked for in the first rows; failing that, down the first column (a card per
    activity, or a transposed table: ``cards.read_label_column``).
    """
    grid = square(rows)
    texts = [[_text(v) for v in r] for r in grid]
    found = find_header(grid, texts)
    if found is None:
        by_column = cards.read_label_column(grid, texts, source, rank=rank)
        if by_column is not None:
            return by_column
        if _title_only_header(grid, texts):
            return [], [f"{source}：有“活动名称”列，但没有时间、地点、人数或形式列，未当作活动表"]
        return [], []
    header, start = found
    return read_rows(grid, texts, header, start, source, lambda r: f"R{r + 1}", rank)


def square(rows: list[list[Any]]) -> list[list[Any]]:
    width = max((len(r) for r in rows), default=0)
    return [list(r) + [None] * (width - len(r)) for r in rows]


def find_header(grid: list[list[Any]], texts: list[list[str]], scan: int = _HEADER_SCAN) -> tuple[_Header, int] | None:
    """The first header in the first ``scan`` rows, and the row its data starts at."""
    for r in range(min(len(grid), scan)):
        header = _header_at(grid, texts, r)
        if header:
            start = r + header.rows
            return (_with_parent_row(grid, texts, r, header) if r > 0 else header), start
    return None


def read_rows(grid: list[list[Any]], texts: list[list[str]], header: _Header, start: int, source: str,
              locate: Locate, rank: str = "key") -> tuple[list[RawActivity], list[str]]:
    """The rows below a header, each an activity unless it is a total, note, footer, repeat..."""
    activities: list[RawActivity] = []
    notes: list[str] = []
    r = start
    while r < len(grid):
        again = _header_at(grid, texts, r)
        if again and tuple(_norm(c) for c in texts[r]) not in header.keys:
            header, r = again, r + again.rows  # a new table below the first one
            continue
        rank = _section_rank(texts[r], header) or rank
        if not _skipped(texts[r], header):
            _read_row(grid[r], texts[r], header, f"{source}!{locate(r)}", rank, activities, notes)
        r += 1
    return activities, notes


def _skipped(cells: list[str], header: _Header) -> bool:
    """Blank rows, repeats of the header (Word repeats it on each page), totals, footers, notes."""
    if not any(c for i, c in enumerate(cells) if i not in header.dropped):
        return True
    if tuple(_norm(c) for c in cells) in header.keys:
        return True
    lead = [_norm(c) for c in cells if c][:3]
    if any(_TOTALS.match(c) or c.startswith(_FOOTERS) for c in lead):
        return True
    return _is_note_or_section(cells, header)


def _read_row(row: list[Any], cells: list[str], header: _Header, where: str, rank: str,
              activities: list[RawActivity], notes: list[str]) -> None:
    title = _group_value(row, cells, header.fields.get("title", []), as_text=True)
    if not title:
        notes.append(f"{where}：该行有内容但没有活动名称，已跳过")
        return
    if _is_example(title, cells):
        notes.append(f"{where}：“{title[:30]}”是表格模板的示例行，未计入活动")
        return
    fields = {f: _group_value(row, cells, cols) for f, cols in header.fields.items()}
    fields["title"] = title
    if _cancelled(fields):
        notes.append(f"{where}：“{title[:30]}”标注为取消，未计入活动")
        return
    marked = rank_of(fields.pop("rank", None))
    extra = {}
    for label, cols in header.extra.items():
        value = _group_value(row, cells, cols)
        if value is not None:
            extra[label] = value
    activities.append(RawActivity(fields=fields, extra=extra, source=where, rank=marked or rank))


# --- key and general activities, cancelled rows ------------------------------------------------

_GENERAL = re.compile(r"一般(性)?(科普)?活动|非重点|其他活动|其它活动")
_KEY = re.compile(r"重点")
_CANCELLED = re.compile(r"取消|未举办|未开展|停办")


def rank_of(label: Any) -> str | None:
    """"general" for 一般活动 / 否 (under 是否重点), "key" for 重点 / 是, None when the text says neither."""
    key = _norm(_text(label))
    if not key:
        return None
    if _GENERAL.search(key) or key in ("一般", "否", "非重点"):
        return "general"
    if _KEY.search(key) or key == "是":
        return "key"
    return None


def _section_rank(cells: list[str], header: _Header) -> str | None:
    """A section row inside the list ("二、一般活动") sets the rank of the rows below it."""
    distinct = {c for i, c in enumerate(cells) if c and i not in header.dropped}
    if len(distinct) != 1:
        return None
    text = _norm(next(iter(distinct)))
    return rank_of(text) if len(text) <= 20 and "活动" in text else None


def _cancelled(fields: dict[str, Any]) -> bool:
    """A row marked cancelled (取消) in a remark, status or rank cell, or in brackets after its title."""
    title = _norm(_text(fields.get("title")))
    if re.search(r"[(\[【](已|被)?(取消|停办)[)\]】]$", title):
        return True
    return any(_CANCELLED.search(_norm(_text(fields.get(f)))) for f in ("remark", "rank", "status"))


# --- header ---------------------------------------------------------------------------------

def _header_at(grid: list[list[Any]], texts: list[list[str]], r: int) -> _Header | None:
    """The header starting at row r (with its sub-header rows), or None."""
    if not _header_like(grid, texts, r):
        return None
    block = [texts[r]]
    while len(block) <= _MAX_SUBHEADER_ROWS and r + len(block) < len(grid):
        nxt = r + len(block)
        if not _is_subheader(grid[nxt], texts[nxt], _fill_right(block[-1], texts[nxt])):
            break
        block.append(texts[nxt])
    # Try the deepest block first: "参与人数" alone is a field, "参与人数/线上" a finer one.
    for depth in range(len(block), 0, -1):
        labels = _combine(block[:depth])
        fields, extra, dropped = _map_columns(labels)
        if "title" in fields and _SECOND_FIELDS & fields.keys() and _dense(labels):
            keys = [tuple(_norm(c) for c in row) for row in block[:depth]]
            return _Header(depth, labels, fields, extra, dropped, keys)
    return None


def _with_parent_row(grid: list[list[Any]], texts: list[list[str]], r: int, header: _Header) -> _Header:
    """Join a group row above the header ("基本信息 | 参与人数" spanning their columns) when it
    makes more columns known; a one-text title row above is left out."""
    above = texts[r - 1]
    if any(_is_number(v) for v in grid[r - 1]) or len({c for c in above if c}) < 2:
        return header
    labels = _combine([above] + texts[r:r + header.rows])
    fields, extra, dropped = _map_columns(labels)
    if "title" not in fields or len(fields) <= len(header.fields):
        return header
    keys = [tuple(_norm(c) for c in above)] + header.keys
    return _Header(header.rows, labels, fields, extra, dropped, keys)


def _dense(labels: list[str]) -> bool:
    """A list's header labels most of its columns; a form row ("名称 | | | | 地址 | |") does not."""
    filled = [i for i, label in enumerate(labels) if label]
    return len(filled) >= 0.6 * (filled[-1] - filled[0] + 1)


def _header_like(grid: list[list[Any]], texts: list[list[str]], r: int) -> bool:
    """Cheap test before mapping columns: labels only, a title word in row r and a date/place/
    count/format word in it or in the two rows below (a sub-header may carry it)."""
    filled = [i for i, c in enumerate(texts[r]) if c]
    if len(filled) < 2 or any(_is_number(grid[r][i]) for i in filled):
        return False
    # Word tables hold text only: a row with a serial number or several figures is data, even
    # when an activity title in it contains a header word ("…主题科普展", "1440人次")
    with_digits = [i for i in filled if _DIGIT.search(texts[r][i])]
    if len(with_digits) >= 2 or any(_NUMERAL.match(texts[r][i]) for i in with_digits):
        return False
    if not _TITLE_WORDS.search("\0".join(_norm(c) for c in texts[r] if c)):
        return False
    below = "\0".join(_norm(c) for row in texts[r:r + 1 + _MAX_SUBHEADER_ROWS] for c in row if c)
    return bool(_SECOND_WORDS.search(below))


def _is_subheader(row: list[Any], cells: list[str], parent: list[str]) -> bool:
    """A row of short labels sitting under merged (or blank) parent cells only."""
    new = []
    for i, c in enumerate(cells):
        if not c:
            continue
        if _is_number(row[i]) or len(_norm(c)) > 20 or _LABEL_VALUE.match(_norm(c)):
            return False
        if c != parent[i]:
            new.append(i)
    if not new:
        return False
    return all(not parent[i] or _spans(parent, i) for i in new)


def _spans(cells: list[str], i: int) -> bool:
    """True when cells[i] is part of a run of the same label (a merged header cell)."""
    return (i > 0 and cells[i - 1] == cells[i]) or (i + 1 < len(cells) and cells[i + 1] == cells[i])


def _fill_right(parent: list[str], child: list[str]) -> list[str]:
    """Blank parent cells above a child label take the label on their left (merge not repeated)."""
    out = list(parent)
    for i in range(1, len(out)):
        if not out[i] and child[i] and out[i - 1]:
            out[i] = out[i - 1]
    return out


def _combine(block: list[list[str]]) -> list[str]:
    filled = [block[0]]
    for row in block[1:]:
        filled[-1] = _fill_right(filled[-1], row)
        filled.append(row)
    labels = []
    for col in zip(*filled):
        parts: list[str] = []
        for part in col:
            part = re.sub(r"\s+", "", part)
            if part and part not in parts:
                parts.append(part)
        labels.append("/".join(parts))
    return labels


def _map_columns(labels: list[str]) -> tuple[dict[str, list[int]], dict[str, list[int]], set[int]]:
    groups: list[tuple[str, list[int]]] = []  # adjacent columns with one label are one column
    for i, label in enumerate(labels):
        if groups and label and groups[-1][0] == label and groups[-1][1][-1] == i - 1:
            groups[-1][1].append(i)
        else:
            groups.append((label, [i]))
    best: dict[str, tuple[int, list[int]]] = {}  # field -> (synonym rank, columns)
    extra: dict[str, list[int]] = {}
    dropped: set[int] = set()
    for label, cols in groups:
        key = _norm(label)
        if not key:
            for i in cols:
                extra[f"第{i + 1}列"] = [i]  # data under no label is still worth showing
            continue
        if len(key) > _MAX_LABEL or _LABEL_VALUE.match(key) or key.startswith(_FOOTERS):
            continue
        if any(d in key for d in _DROP):
            dropped.update(cols)
            continue
        found = _field_of(key)
        if found is None:
            extra[label] = cols
            continue
        name, rank = found
        if name in best and best[name][0] <= rank:
            extra[label] = cols  # a second organizer (承办单位 beside 主办单位) stays visible
            continue
        if name in best:
            loser = best[name][1]
            extra[labels[loser[0]]] = loser
        best[name] = (rank, cols)
    return {f: cols for f, (_, cols) in best.items()}, extra, dropped


@lru_cache(maxsize=4096)
def _field_of(key: str) -> tuple[str, int] | None:
    """(canonical field, synonym rank) of a normalized label."""
    if any(w in key for w in _ONLINE) and any(w in key for w in _OFFLINE) and "人" not in key:
        return "format", 0
    best: tuple[int, int, str] | None = None  # (-synonym length, rank, field)
    for name, words in SYNONYMS.items():
        for rank, word in enumerate(words):
            if word in key and (best is None or (-len(word), rank) < best[:2]):
                best = (-len(word), rank, name)
    if best is None:
        # "受益对象（人）", "覆盖面（人次）": a head-count unit in brackets names a count column
        return ("participants", len(SYNONYMS["participants"])) if _COUNT_UNIT.search(key) \
            and not any(w in key for w in _NOT_PARTICIPANTS) else None
    name, rank = best[2], best[1]
    if name == "date":
        return _date_end(key), rank
    if name == "participants":
        if any(w in key for w in _NOT_PARTICIPANTS):
            return None
        online = any(w in key for w in _ONLINE)
        offline = any(w in key for w in _OFFLINE)
        if online and not offline:
            return "participants_online", rank
        if offline and not online:
            return "participants_offline", rank
    return name, rank


def _date_end(key: str) -> str:
    """"date_start", "date_end" or "date": judged on the innermost part of a joined label
    that names an end ("活动时间/开始", "起止时间/结束日期", "开始时间", "截止日期")."""
    for part in reversed(key.split("/")):
        starts = any(w in part for w in _START)
        ends = any(w in part for w in _END)
        if starts or ends:
            return "date" if starts and ends else ("date_start" if starts else "date_end")
    return "date"


def _title_only_header(grid: list[list[Any]], texts: list[list[str]]) -> bool:
    for r in range(min(len(grid), _HEADER_SCAN)):
        if not any(_is_number(v) for v in grid[r]):
            fields, _, _ = _map_columns(_combine([texts[r]]))
            if "title" in fields and len(fields) >= 2:
                return True
    return False


# --- rows -----------------------------------------------------------------------------------

def _is_note_or_section(cells: list[str], header: _Header) -> bool:
    values = [(i, c) for i, c in enumerate(cells) if c and i not in header.dropped]
    distinct = {c for _, c in values}
    if len(distinct) != 1:
        return False
    text = _norm(values[0][1])
    if _NOTE_ROW.match(text):
        return True
    if len(values) >= 2 and len(header.fields.get("title", [])) < len(values):
        return True  # one text merged across the table: a note or a group label
    return len(text) <= 20 and bool(_SECTION_ROW.match(text))


def _is_example(title: str, cells: list[str]) -> bool:
    """A row the template carries to show how to fill it in (see ``_EXAMPLE_LEAD``)."""
    key = _norm(title)
    if _EXAMPLE_LEAD.match(key) or _PLACEHOLDER.search(key):
        return True
    return any(_EXAMPLE_CELL.match(_norm(c)) or _EXAMPLE_TEXT.search(_norm(c)) for c in cells if c)


def _group_value(row: list[Any], cells: list[str], cols: list[int], as_text: bool = False) -> Any:
    values = [(row[i], cells[i]) for i in cols if cells[i]]
    if not values:
        return "" if as_text else None
    distinct = list(dict.fromkeys(text for _, text in values))
    if len(distinct) > 1 or as_text:
        return " ".join(distinct)
    value = values[0][0]
    return value.strip() if isinstance(value, str) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\xa0", " ").replace("\u3000", " ").strip()


_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_NUMERAL = re.compile(r"^\s*\d+(\.\d+)?\s*$")


@lru_cache(maxsize=16384)
def _norm(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).lower()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, date, datetime)) and not isinstance(value, bool)
