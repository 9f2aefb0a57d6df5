"""Activity tables in files LibreOffice wrote, with the rows they hold written out by hand.

The sources are text (an HTML table, flat ODF XML, CSV) that LibreOffice turns into the
.xlsx/.xls/.ods/.docx/.doc/.rtf a unit sends, so neither the layout quirks nor the expected
rows come from the sample generator. They cover issue 9: a date merged over 开始 | 结束
(points 1), template example rows (2), one list in a Word table and an Excel file (6), and
dates typed as text, in legacy .xls too (7).
"""
from __future__ import annotations

from datetime import date

import lobuild as lo
import mailbuild as mb
import pytest
from conftest import missing_tool
from lobuild import COVER, M

from parsers.read_file import extract_file
from parsers.read_mail import read_mail
from parsers.values import normalize_activity
from pipeline.judge.decide import dedupe_activities


@pytest.fixture(autouse=True)
def _libreoffice() -> None:
    if not lo.available():
        missing_tool("LibreOffice (soffice) is not installed: bash setup.sh --test, "
                     "or apt-get install libreoffice-calc-nogui libreoffice-writer-nogui")


D = lambda m, d: date(2025, m, d)  # noqa: E731

# --- A: the office's template filled in, as an HTML table --------------------------------------
# 活动时间 merged over 开始日期 | 结束日期, dates typed as text, the example row left in.
TEMPLATE = [
    [M("序号", rows=2), M("活动名称", rows=2), M("活动时间", cols=2), COVER, M("活动地点", rows=2),
     M("活动形式", rows=2), M("参与人数（人次）", rows=2)],
    [COVER, COVER, "开始日期", "结束日期", COVER, COVER, COVER],
    ["例", "（示例）XX社区科普讲座", "2025年9月1日", "2025年9月1日", "XX社区", "线下", "100"],
    ["1", "全国科普月启动仪式", "2025年9月1日", "2025年9月30日", "市民广场", "线上线下结合", "2000"],
    ["2", "病例分享会", "2025/9/19", "", "市人民医院", "线下", "60"],
    ["3", "典型案例分享会", "9月20日", "9月21日", "区科技馆", "线上", "约1500人次"],
    ["4", "科协例会暨科普工作部署会", "2025年9月5日", "2025年9月5日", "区科协会议室", "线下", "30"],
    [M("合计", cols=6), COVER, COVER, COVER, COVER, COVER, "3590"],
]
TEMPLATE_ROWS = [  # (title, start, end, location, format, participants)
    ("全国科普月启动仪式", D(9, 1), D(9, 30), "市民广场", "hybrid", 2000),
    ("病例分享会", D(9, 19), D(9, 19), "市人民医院", "offline", 60),
    ("典型案例分享会", D(9, 20), D(9, 21), "区科技馆", "online", 1500),
    ("科协例会暨科普工作部署会", D(9, 5), D(9, 5), "区科协会议室", "offline", 30),
]

# --- B: a sheet with real date cells beside text dates; counts split 线下 | 线上 -------------------
SHEET = [
    [M("XX区全国科普月重点活动统计表", cols=6), COVER, COVER, COVER, COVER, COVER],
    [M("活动名称", rows=2), M("活动时间", cols=2), COVER, M("活动地点", rows=2), M("参与人数", cols=2), COVER],
    [COVER, "开始", "结束", COVER, "线下", "线上"],
    ["（示例）××街道科普宣传", D(9, 1), D(9, 1), "××街道", 100, None],
    ["防灾减灾科普展", D(9, 10), D(9, 14), "区文化馆", 800, None],
    ["科普讲解大赛", "2025年9月18日", None, "区科技馆", 200, 3000],
    ["航天科普进校园", D(9, 22), "2025/9/26", "实验小学", 1200, None],
]
SHEET_ROWS = [
    ("防灾减灾科普展", D(9, 10), D(9, 14), "区文化馆", "offline", 800),
    ("科普讲解大赛", D(9, 18), D(9, 18), "区科技馆", "hybrid", 3200),
    ("航天科普进校园", D(9, 22), D(9, 26), "实验小学", "offline", 1200),
]

# --- C + D: one list twice, in the Word summary (no 活动形式) and in an Excel file (no 活动地点) --
SUMMARY_TEXT = ["XX区科协2025年全国科普月活动总结", "一、活动开展情况",
                "我区围绕全国科普月主题，组织开展了系列科普活动，具体如下表。"]
WORD_LIST = [
    [M("序号", rows=2), M("活动名称", rows=2), M("活动时间", cols=2), COVER, M("活动地点", rows=2),
     M("参与人数", rows=2), M("备注", rows=2)],
    [COVER, COVER, "开始时间", "结束时间", COVER, COVER, COVER],
    ["1", "社区科普讲座", "9月1日", "9月1日", "幸福社区", "100", "此行为示例，填写时请删除"],
    ["1", "全国科普月启动仪式", "9月1日", "9月30日", "市民广场", "2000", ""],
    ["2", "病例分享会", "9月19日", "", "市人民医院", "60", ""],
    ["3", "典型案例分享会", "9月20日", "9月21日", "区科技馆", "1500", ""],
]
EXCEL_LIST = [
    ["活动名称", "开始时间", "截止时间", "活动形式", "参与人数"],
    ["全国科普月启动仪式", "2025年9月1日", "2025年9月30日", "线上线下结合", "2000"],
    ["病例分享会", "2025/9/19", "", "线下", "60"],
    ["典型案例分享会", "2025/9/20", "2025/9/21", "线上", "1500"],
]
MERGED_ROWS = [
    ("全国科普月启动仪式", D(9, 1), D(9, 30), "市民广场", "hybrid", 2000),
    ("病例分享会", D(9, 19), D(9, 19), "市人民医院", "offline", 60),
    ("典型案例分享会", D(9, 20), D(9, 21), "区科技馆", "online", 1500),
]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    """Every converted file by name ("模板.xls"); one soffice call per source format and target."""
    out: dict[str, bytes] = {}
    template = {"模板.html": lo.html_table(TEMPLATE, "附件：全国科普月活动统计表")}
    for target in ("xlsx", "xls", "ods"):
        out.update(_renamed(lo.convert(template, target, lo.IMPORT_HTML["calc"]), target))
    for target in ("docx", "doc", "rtf"):
        out.update(_renamed(lo.convert(template, target, lo.IMPORT_HTML["writer"]), target))
    calc = {"统计表.fods": lo.fods({"重点活动": SHEET})}
    writer = {"总结.fodt": lo.fodt(SUMMARY_TEXT, WORD_LIST, ["二、工作成效", "活动覆盖全区，反响良好。"])}
    for target in ("xlsx", "xls", "ods"):
        out.update(_renamed(lo.convert(calc, target), target))
    for target in ("docx", "doc", "rtf"):
        out.update(_renamed(lo.convert(writer, target), target))
    for target in ("xlsx", "xls"):
        out.update(_renamed(lo.convert({"活动表.csv": lo.csv_text(EXCEL_LIST)}, target, lo.IMPORT["csv"]), target))
    return out


def _renamed(converted: dict[str, bytes], target: str) -> dict[str, bytes]:
    return {f"{name.rsplit('.', 1)[0]}.{target}": data for name, data in converted.items()}


def rows_of(name: str, data: bytes) -> tuple[list[tuple], list[str]]:
    results = extract_file(name, data)
    assert [r.status for r in results] == ["parsed"], [r.error for r in results]
    acts = [normalize_activity(raw) for raw in results[0].activities]
    return [_row(a) for a in acts], results[0].notes


def _row(a) -> tuple:
    return (a.title, a.start_date, a.end_date, a.location, a.format, a.participants)


@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods", "docx", "doc", "rtf"])
def test_template_with_start_and_end_columns_and_an_example_row(files, ext):
    rows, notes = rows_of(f"模板.{ext}", files[f"模板.{ext}"])
    assert rows == TEMPLATE_ROWS
    assert len(notes) == 1 and "（示例）XX社区科普讲座" in notes[0] and "示例行" in notes[0]


@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_sheet_with_date_cells_text_dates_and_split_counts(files, ext):
    rows, notes = rows_of(f"统计表.{ext}", files[f"统计表.{ext}"])
    assert rows == SHEET_ROWS
    assert [n for n in notes if "示例行" in n] == notes and len(notes) == 1


@pytest.mark.parametrize("ext", ["docx", "doc", "rtf"])
def test_word_summary_table_with_a_this_row_is_an_example_row(files, ext):
    rows, notes = rows_of(f"总结.{ext}", files[f"总结.{ext}"])
    assert rows == [(t, s, e, loc, None, n) for t, s, e, loc, _, n in MERGED_ROWS]
    assert len(notes) == 1 and "社区科普讲座" in notes[0]


@pytest.mark.parametrize("ext", ["xlsx", "xls"])
def test_csv_saved_as_excel_one_row_start_and_deadline_header(files, ext):
    rows, notes = rows_of(f"活动表.{ext}", files[f"活动表.{ext}"])
    assert rows == [(t, s, e, None, f, n) for t, s, e, _, f, n in MERGED_ROWS]
    assert notes == []


@pytest.mark.parametrize("word, excel", [("docx", "xlsx"), ("doc", "xls")])
def test_one_list_in_word_and_excel_counts_once_with_the_richer_fields(files, word, excel):
    raw = mb.mail(mb.multipart("mixed", [
        mb.text_part("附件是我区科普月总结和活动表，请查收。"),
        mb.file_part(files[f"总结.{word}"], "application/octet-stream", f'attachment; filename="summary.{word}"'),
        mb.file_part(files[f"活动表.{excel}"], "application/octet-stream", f'attachment; filename="list.{excel}"'),
    ]))
    content = read_mail(raw, 2025)
    assert len(content.activities) == 6  # three in each file
    merged = dedupe_activities(content.activities)
    assert sorted(_row(a) for a in merged) == sorted(MERGED_ROWS)
