"""The national 全国科普月 platform's activity list, as the office downloads or copies it.

No export format of the platform is published (none was found in 2026-12), so this reads tolerantly:
- .xlsx/.xls/.ods (python-calamine, merged cells filled), .csv/.txt in UTF-8 (BOM or not) or
  GB18030, comma/tab/semicolon separated, and a back office's "xls" that is an HTML table;
- title rows ("2025年全国科普月活动列表（导出时间…）") above the header are passed over; the header
  is the first row naming an activity title and at least one other known column; one row of
  sub-labels under merged cells ("活动时间" over "开始 | 结束") is joined to it;
- headers vary: see ``LABELS``; a column that is missing only weakens the match later.
Nothing here raises except ``PlatformListError``, whose message names the file, and the row and
column where it can.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

from .spreadsheet import SpreadsheetError, read_workbook
from .tables import SYNONYMS
from .values import activity_dates, cell_text

# field -> labels, most specific first; a label takes the field of its longest matching word.
LABELS: dict[str, tuple[str, ...]] = {
    "platform_id": ("活动编号", "活动id", "活动代码", "平台编号", "登记编号", "备案号", "编号", "id"),
    "title": SYNONYMS["title"],
    "organizer": ("主办单位", "举办单位", "主办方", "组织单位", "承办单位", "实施单位", "开展单位"),
    "filer": ("填报单位", "发布单位", "申报单位", "上报单位", "报送单位", "所属单位", "账号单位", "单位名称", "单位"),
    "date_start": ("活动开始时间", "开始时间", "开始日期", "起始时间", "起始日期"),
    "date_end": ("活动结束时间", "结束时间", "结束日期", "截止时间", "截止日期", "终止时间"),
    "date": ("活动时间", "举办时间", "开展时间", "活动日期", "举办日期", "起止时间", "时间", "日期"),
    "location": ("活动地点", "举办地点", "开展地点", "详细地址", "活动地址", "地点", "地址", "场所"),
    "region": ("所在地区", "所属地区", "行政区划", "所在地", "地区", "区域", "省份", "城市", "区县"),
    "format": ("活动形式", "举办形式", "开展形式", "活动方式", "线上线下", "线上/线下", "形式"),
    "section": ("所属板块", "活动板块", "板块", "活动类型", "活动类别", "活动分类", "类别", "类型"),
    "status": ("审核状态", "审核结果", "活动状态", "状态"),
}
# labels that hold a moment but not the activity's (when it was filed, checked, changed)
_NOT_ACTIVITY_TIME = ("填报", "创建", "提交", "审核时间", "发布时间", "更新", "修改", "导出", "录入")
_SERIAL = ("序号",)
_NOT_A_FIELD = re.compile(r"单位(?:类型|性质|级别|类别)|联系|电话|手机|邮箱|人数|人次|简介|备注")
_SUB_START = ("开始", "起始", "起")
_SUB_END = ("结束", "截止", "终止", "止")
_TOTALS = re.compile(r"^(合计|总计|小计|共计)")
_NOTE = re.compile(r"^(注|说明|备注|导出说明|数据来源)\s*\d*\s*[:：.、]")
_HEADER_SCAN = 30
_MAX_ROWS = 200_000


class PlatformListError(Exception):
    """The file cannot be read as an activity list; the message is for the admin."""


@dataclass
class PlatformRow:
    platform_id: str  # the platform's id, or "第N行" when the list has no id column
    title: str
    organizer: str | None = None
    filer: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    location: str | None = None
    region: str | None = None
    format: str | None = None
    section: str | None = None
    status: str | None = None
    line: int = 0  # row in the file as a spreadsheet shows it (1-based)
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class PlatformList:
    rows: list[PlatformRow]
    columns: dict[str, str]  # field -> the header label it was read from
    sheet: str = ""
    notes: list[str] = field(default_factory=list)


def read_platform_list(data: bytes, name: str) -> PlatformList:
    """The list in a file's bytes; ``name`` is the file name (its extension picks the reader)."""
    sheets = _grids(data, name)
    best: tuple[int, str, list[list[Any]], tuple[int, int, list[str]]] | None = None
    for sheet_name, grid in sheets:
        found = _find_header(grid)
        if found and (best is None or len(_fields(found[2])) > best[0]):
            best = (len(_fields(found[2])), sheet_name, grid, found)
    if best is None:
        raise PlatformListError(f"{name}：前{_HEADER_SCAN}行中没有找到表头（需要“活动名称”或“活动主题”列，"
                                "以及单位、时间、地点、编号等至少一列）")
    _, sheet_name, grid, (row, depth, labels) = best
    fields = _fields(labels)
    rows, notes = _rows(grid, row + depth, labels, fields, name)
    columns = {f: labels[cols[0]] for f, cols in fields.items()}
    if "platform_id" not in fields:
        notes.append(f"{name}：没有“活动编号”列，用行号代替")
    return PlatformList(rows, columns, sheet_name, notes)


def read_platform_file(data: bytes, name: str) -> PlatformList | str:
    """``read_platform_list`` for the sandbox: the reason as a string when the file cannot be read
    (an exception crossing the process boundary would lose its words)."""
    try:
        return read_platform_list(data, name)
    except PlatformListError as err:
        return str(err)


# --- grids -----------------------------------------------------------------------------------

def _grids(data: bytes, name: str) -> list[tuple[str, list[list[Any]]]]:
    if not data:
        raise PlatformListError(f"{name}：文件是空的")
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<", b"\xef\xbb\xbf<")) and (b"<table" in data[:200_000].lower() or b"<html" in head):
        return [("", _html_grid(_decode(data, name)))]
    textual = name.lower().endswith((".csv", ".txt", ".tsv"))
    if not textual and data[:2] not in (b"PK", b"\xd0\xcf"):
        try:  # an "xls" that is really text (some back offices export CSV or TSV under that name)
            if b"\x00" not in data[:4096]:
                return [("", _csv_grid(_decode(data, name), name))]
        except PlatformListError:
            pass
        raise PlatformListError(f"{name}：不是 Excel 表格（.xlsx、.xls）或 CSV 文件，无法读取")
    if textual:
        return [("", _csv_grid(_decode(data, name), name))]
    try:
        return [(s.name, s.rows) for s in read_workbook(data, max_rows=_MAX_ROWS, max_cols=80)]
    except SpreadsheetError as err:
        raise PlatformListError(f"{name}：{err}") from None


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise PlatformListError(f"{name}：第{line}行的文字既不是 UTF-8 也不是 GB18030 编码，"
                                "请在 Excel 中另存为 .xlsx 后再导入") from None


def _csv_grid(text: str, name: str) -> list[list[Any]]:
    sample = text[:20000].splitlines()[:40]
    delimiter = max(",\t;", key=lambda d: sum(line.count(d) for line in sample))
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)][:_MAX_ROWS]
    except csv.Error as err:
        raise PlatformListError(f"{name}：CSV 格式有误（{err}）") from None


class _HTMLTable(HTMLParser):
    """The first table of an HTML page as a grid, rowspan/colspan cells repeated like merged cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.grid: list[list[Any]] = []
        self.pending: dict[tuple[int, int], str] = {}  # cells covered by a span from above
        self.cell: list[str] | None = None
        self.span = (1, 1)
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.depth += 1
        elif tag == "tr" and self.depth == 1:
            self.grid.append([])
        elif tag in ("td", "th") and self.depth == 1 and self.grid:
            a = dict(attrs)
            self.span = (_int(a.get("rowspan")), _int(a.get("colspan")))
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None:
            self._place(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.depth == 1 and self.grid:
            r, row = len(self.grid) - 1, self.grid[-1]
            while (r, len(row)) in self.pending:  # spans from above at the row's end
                row.append(self.pending.pop((r, len(row))))

    def _place(self, text: str) -> None:
        r, row = len(self.grid) - 1, self.grid[-1]
        while (r, len(row)) in self.pending:
            row.append(self.pending.pop((r, len(row))))
        c = len(row)
        for dr in range(self.span[0]):
            for dc in range(self.span[1]):
                if dr or dc:
                    self.pending[(r + dr, c + dc)] = text
        row.append(text)
        for dc in range(1, self.span[1]):
            row.append(self.pending.pop((r, c + dc)))


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def _html_grid(text: str) -> list[list[Any]]:
    parser = _HTMLTable()
    parser.feed(text)
    return [[c or None for c in row] for row in parser.grid]


# --- header ------------------------------------------------------------------------------------

def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(text))).lower()


def _field_of(label: str) -> tuple[str, int, int] | None:
    """(field, length of the matching word, its rank among the field's words) of a header label, by
    the longest matching word; None for unknown labels."""
    key = _norm(label)
    if not key or len(key) > 30 or key.startswith(_SERIAL) or _NOT_A_FIELD.search(key):
        return None
    if any(w in key for w in _NOT_ACTIVITY_TIME) and ("时间" in key or "日期" in key):
        return None
    parts = key.split("/")
    if len(parts) > 1 and any(w in key for w in ("时间", "日期")):  # 活动时间/开始
        last = parts[-1]
        if any(w in last for w in _SUB_START) and not any(w in last for w in _SUB_END):
            return "date_start", len(key), 0
        if any(w in last for w in _SUB_END) and not any(w in last for w in _SUB_START):
            return "date_end", len(key), 0
    best: tuple[int, int, str] | None = None
    for name, words in LABELS.items():
        for rank, word in enumerate(words):
            hit = key == word if word == "id" else word in key
            if hit and (best is None or len(word) > best[0]):
                best = (len(word), rank, name)
    return (best[2], best[0], best[1]) if best else None


def _fields(labels: list[str]) -> dict[str, list[int]]:
    """field -> its columns, the most specific label first (填报单位 before 单位; several columns for
    省 | 市 | 区县); a label repeated over merged columns counts once."""
    found: dict[str, list[tuple[int, int, int]]] = {}
    for i, label in enumerate(labels):
        hit = _field_of(label)
        if hit and (i == 0 or labels[i - 1] != label):
            found.setdefault(hit[0], []).append((-hit[1], hit[2], i))
    return {name: [i for *_, i in sorted(cols)] for name, cols in found.items()}


def _header_like(cells: list[Any]) -> bool:
    texts = [_norm(c) for c in cells if _norm(c)]
    if len(texts) < 2 or any(isinstance(c, (int, float, date)) and not isinstance(c, bool) for c in cells):
        return False
    fields = _fields([cell_text(c) for c in cells])
    return "title" in fields and len(fields) >= 2


def _find_header(grid: list[list[Any]]) -> tuple[int, int, list[str]] | None:
    """(header row, how many rows it spans, its labels) of the first header within the scan."""
    for r in range(min(len(grid), _HEADER_SCAN)):
        if not _header_like(grid[r]):
            continue
        labels = [cell_text(c) for c in grid[r]]
        if r + 1 < len(grid):
            joined = _with_sublabels(labels, [cell_text(c) for c in grid[r + 1]], grid[r + 1])
            if joined is not None:
                return r, 2, joined
        return r, 1, labels
    return None


def _with_sublabels(parent: list[str], child: list[str], raw: list[Any]) -> list[str] | None:
    """"活动时间 | 活动时间" over "开始 | 结束" → "活动时间/开始 | 活动时间/结束"; None when the row
    below is data, not sub-labels."""
    width = max(len(parent), len(child))
    parent = parent + [""] * (width - len(parent))
    child = child + [""] * (width - len(child))
    if any(isinstance(v, (int, float, date)) and not isinstance(v, bool) for v in raw):
        return None
    new = [i for i, c in enumerate(child) if c and c != parent[i]]
    if not new or any(len(_norm(child[i])) > 12 for i in new):
        return None
    filled = list(parent)
    for i in range(1, width):  # a merged label left blank to its right
        if not filled[i] and child[i] and filled[i - 1]:
            filled[i] = filled[i - 1]
    under_merge = [i for i in new if not parent[i] or (i > 0 and filled[i - 1] == filled[i])
                   or (i + 1 < width and filled[i + 1] == filled[i])]
    if len(under_merge) < len(new):
        return None
    return [f"{filled[i]}/{child[i]}" if child[i] and child[i] != filled[i] and filled[i]
            else (filled[i] or child[i]) for i in range(width)]


# --- rows --------------------------------------------------------------------------------------

def _rows(grid: list[list[Any]], first: int, labels: list[str], fields: dict[str, list[int]],
          name: str) -> tuple[list[PlatformRow], list[str]]:
    notes: list[str] = []
    header_key = [_norm(c) for c in labels]
    known = {i for cols in fields.values() for i in cols}
    out: list[PlatformRow] = []
    seen_ids: set[str] = set()
    for r in range(first, len(grid)):
        cells = list(grid[r]) + [None] * (len(labels) - len(grid[r]))
        texts = [cell_text(c).replace("\n", " ").strip() for c in cells]
        filled = [t for t in texts if t]
        if not filled or [_norm(c) for c in cells[:len(labels)]] == header_key:
            continue
        if _TOTALS.match(_norm(filled[0])) or (len(set(filled)) == 1 and (len(filled) > 1 or _NOTE.match(filled[0]))):
            continue  # totals, a note merged across the table
        row = _row(cells, texts, fields, r + 1)
        if row is None:
            if len(filled) > 1:
                notes.append(f"{name}：第{r + 1}行有内容但没有活动名称，已跳过")
            continue
        if row.platform_id in seen_ids:
            notes.append(f"{name}：第{r + 1}行的活动编号 {row.platform_id} 与上面重复，已跳过")
            continue
        seen_ids.add(row.platform_id)
        row.extra = {labels[i] or f"第{i + 1}列": texts[i] for i in range(len(labels))
                     if i not in known and texts[i] and not _norm(labels[i]).startswith(_SERIAL)}
        out.append(row)
    return out, notes


def _joined(texts: list[str], cols: list[int]) -> str | None:
    parts = list(dict.fromkeys(texts[i] for i in cols if i < len(texts) and texts[i]))
    return " ".join(parts) or None


def _row(cells: list[Any], texts: list[str], fields: dict[str, list[int]], line: int) -> PlatformRow | None:
    title = _joined(texts, fields["title"][:1])
    if not title:
        return None
    dates: dict[str, Any] = {key: _date_value(cells[fields[key][0]]) for key in ("date", "date_start", "date_end") if key in fields}
    span = activity_dates(dates)
    pid = _joined(texts, fields.get("platform_id", [])[:1])
    return PlatformRow(
        platform_id=pid or f"第{line}行", title=title,
        organizer=_joined(texts, fields.get("organizer", [])[:1]),
        filer=_joined(texts, fields.get("filer", [])[:1]),
        start_date=span.start, end_date=span.end or span.start,
        location=_joined(texts, fields.get("location", [])[:1]),
        region=_joined(texts, fields.get("region", [])),
        format=_joined(texts, fields.get("format", [])[:1]),
        section=_joined(texts, fields.get("section", [])[:1]),
        status=_joined(texts, fields.get("status", [])[:1]),
        line=line)


def _date_value(value: Any) -> Any:
    """ISO "2025-09-15T09:00:00" (some exports) read like "2025-09-15 09:00:00"."""
    if isinstance(value, str):
        return re.sub(r"(\d)T(\d{1,2}:\d{2})", r"\1 \2", value)
    return value
