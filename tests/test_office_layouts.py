"""Activity layouts real offices use, in files LibreOffice wrote, with the rows they hold written by hand.

Issue 16 (items 5, 7, 8, 10, 11): one activity per small table or block (一事一表, in Word tables, in a
sheet of stacked cards, as 活动名称：… lines in a Word body), transposed tables (fields down the first
column, one activity per column), a workbook separating 重点活动 from 一般活动 (by sheet or by a column)
with a cancelled row, a .doc whose table LibreOffice loses (a table in a text frame: the conversion shows
none, antiword prints its cells), and one table listing the same title twice. The sources are HTML and
flat ODF that LibreOffice turns into .docx/.doc/.xlsx/.xls/.ods, so neither the layouts nor the expected
rows come from the sample generator.
"""
from __future__ import annotations

from datetime import date
from html import escape

import lobuild as lo
import mailbuild as mb
import pytest
from conftest import missing_tool
from lobuild import COVER, M

from parsers.read_file import extract_file
from parsers.read_mail import read_mail
from parsers.values import normalize_activity
from pipeline.judge.decide import dedupe_activities

D = lambda m, d: date(2025, m, d)  # noqa: E731

# --- 一事一表 in Word: one small table per activity, one of them a form (label | value | label | value) ---
WORD_CARDS = [
    "XX区科协2025年全国科普月活动总结",
    "一、活动开展情况",
    "活动一",
    [["活动名称", "科普进社区宣讲"], ["活动时间", "2025年9月6日"], ["活动地点", "幸福社区"],
     ["活动形式", "线下"], ["参与人数", "150人"]],
    "活动二",
    [["活动名称", M("青少年科技创新大赛", cols=3), COVER, COVER],
     ["活动时间", "9月13日-14日", "活动地点", "区青少年宫"],
     ["参与人数", M("约300人", cols=3), COVER, COVER]],
    "活动三",
    [["活动名称", "应急科普直播课"], ["活动时间", "2025年9月第三周"], ["活动形式", "线上"], ["参与人数", "近千人"]],
    "二、工作成效",
    "活动覆盖全区，群众反响良好。",
]
WORD_CARD_ROWS = [  # (title, start, end, location, format, participants)
    ("科普进社区宣讲", D(9, 6), D(9, 6), "幸福社区", "offline", 150),
    ("青少年科技创新大赛", D(9, 13), D(9, 14), "区青少年宫", None, 300),
    ("应急科普直播课", D(9, 15), D(9, 21), None, "online", 1000),  # 第三周: Monday 15 .. Sunday 21
]

# --- 一事一表 in a sheet: cards stacked down two columns, blank rows between ----------------------
SHEET_CARDS = [
    ["XX街道全国科普月活动登记", None],
    [None, None],
    ["活动名称", "垃圾分类科普宣传"], ["活动时间", D(9, 3)], ["活动地点", "街道文化站"], ["参与人数", 120],
    [None, None],
    ["活动名称", "老年人防诈骗讲座"], ["活动时间", "2025年9月18日"], ["活动地点", "社区活动室"], ["参与人数", "80人"],
    [None, None],
    ["活动名称", "家庭科学实验秀"], ["活动时间", "9月27日"], ["活动形式", "线上线下结合"], ["参与人数", 500],
]
SHEET_CARD_ROWS = [
    ("垃圾分类科普宣传", D(9, 3), D(9, 3), "街道文化站", None, 120),
    ("老年人防诈骗讲座", D(9, 18), D(9, 18), "社区活动室", None, 80),
    ("家庭科学实验秀", D(9, 27), D(9, 27), None, "hybrid", 500),
]

# --- transposed: fields down the first column, one activity per column -----------------------------
WORD_TRANSPOSED = [
    ["序号", "1", "2", "3"],
    ["活动名称", "科普大篷车进校园", "院士专家报告会", "科普影视展映"],
    ["活动时间", "2025年9月8日", "2025年9月16日", "9月20日-21日"],
    ["活动地点", "第一中学", "市科技馆报告厅", "区影剧院"],
    ["活动形式", "线下", "线上线下结合", "线下"],
    ["参与人数", "600", "1200", "450"],
]
WORD_TRANSPOSED_ROWS = [
    ("科普大篷车进校园", D(9, 8), D(9, 8), "第一中学", "offline", 600),
    ("院士专家报告会", D(9, 16), D(9, 16), "市科技馆报告厅", "hybrid", 1200),
    ("科普影视展映", D(9, 20), D(9, 21), "区影剧院", "offline", 450),
]
SHEET_TRANSPOSED = [
    ["项目", "活动1", "活动2", "活动3"],
    ["活动名称", "湿地保护科普行", "气象科普开放日", "科普知识竞赛"],
    ["开展时间", D(9, 10), "2025/9/23", "9月26日"],
    ["举办地点", "南湖湿地公园", "市气象局", "区图书馆"],
    ["受众人数", 350, 200, "1.2万人次"],
]
SHEET_TRANSPOSED_ROWS = [
    ("湿地保护科普行", D(9, 10), D(9, 10), "南湖湿地公园", None, 350),
    ("气象科普开放日", D(9, 23), D(9, 23), "市气象局", None, 200),
    ("科普知识竞赛", D(9, 26), D(9, 26), "区图书馆", None, 12000),
]

# --- 重点活动 and 一般活动: two sheets, and one sheet with a column saying which ---------------------
KEY_SHEET = [
    ["XX县全国科普月重点活动统计表", None, None, None, None],
    ["活动名称", "活动时间", "活动地点", "参与人数", "备注"],
    ["科普月启动仪式", "2025年9月1日", "县文化广场", 2000, None],
    ["农业科技下乡", "2025年9月9日", "红旗村", 300, "因天气原因取消"],
    ["院士专家科普报告", "2025年9月17日", "县一中", 800, None],
]
GENERAL_SHEET = [
    ["活动名称", "活动时间", "活动地点", "参与人数"],
    ["科普宣传栏更新", "2025年9月5日", "县科协门前", 100],
    ["科普微信推送", "9月12日", "线上", 3000],
]
KEY_ROWS = [
    ("科普月启动仪式", D(9, 1), D(9, 1), "县文化广场", None, 2000),
    ("院士专家科普报告", D(9, 17), D(9, 17), "县一中", None, 800),
]
GENERAL_ROWS = [
    ("科普宣传栏更新", D(9, 5), D(9, 5), "县科协门前", None, 100),
    ("科普微信推送", D(9, 12), D(9, 12), "线上", None, 3000),
]
MARKED_SHEET = [
    ["活动名称", "活动类别", "活动时间", "活动地点", "参与人数"],
    ["科普月启动仪式", "重点活动", "2025年9月1日", "县文化广场", 2000],
    ["科普宣传栏更新", "一般活动", "2025年9月5日", "县科协门前", 100],
    ["院士专家科普报告", "重点活动", "2025年9月17日", "县一中", 800],
    ["科普微信推送", "一般活动", "9月12日", "线上", 3000],
    ["农业科技下乡", "重点活动（已取消）", "2025年9月9日", "红旗村", 300],
]

# --- 活动名称：… lines in the body of a Word summary ---------------------------------------------------
KV_LINES = [
    "XX学会2025年全国科普月工作总结",
    "一、活动开展情况",
    "（一）科普讲座进企业",
    "活动名称：智能制造科普讲座",
    "活动时间：2025年9月10日",
    "活动地点：XX机械厂会议室",
    "参与人数：120人",
    "活动简介：邀请行业专家讲解智能制造前沿知识，职工踊跃提问。",
    "（二）学会开放日",
    "活动名称：学会科普开放日",
    "活动时间：9月20日",
    "活动地点：学会科普基地",
    "活动形式：线下",
    "参与人数：约200人次",
    "二、工作成效",
    "全年科普工作取得新进展，活动时间集中在9月中下旬。",
]
KV_ROWS = [
    ("智能制造科普讲座", D(9, 10), D(9, 10), "XX机械厂会议室", None, 120),
    ("学会科普开放日", D(9, 20), D(9, 20), "学会科普基地", "offline", 200),
]

# --- a .doc whose table sits in a text frame: LibreOffice's .docx shows none, antiword prints cells ----
FRAMED = [
    ["活动名称", "活动时间", "活动地点", "参与人数"],
    ["科普讲座", "2025年9月5日", "区科技馆", "200"],
    ["防灾减灾展", "2025年9月12日", "文化广场", "800"],
    ["科技馆开放日", "2025年9月21日", "区科技馆", "1500"],
]
FRAMED_ROWS = [
    ("科普讲座", D(9, 5), D(9, 5), "区科技馆", None, 200),
    ("防灾减灾展", D(9, 12), D(9, 12), "文化广场", None, 800),
    ("科技馆开放日", D(9, 21), D(9, 21), "区科技馆", None, 1500),
]

# --- two rows, one title; the same list again in the Word summary ------------------------------------
TWICE = [
    ["活动名称", "活动时间", "活动地点", "参与人数"],
    ["科普志愿者培训", "2025年9月6日", "区科协", 40],
    ["科普志愿者培训", "2025年9月20日", "区科协", 45],
    ["科普讲座", "2025年9月12日", "第二小学", 300],
    ["青少年科技夜校", "2025年9月13日", "区青少年宫", 60],  # two sessions on one day
    ["青少年科技夜校", "2025年9月13日", "区青少年宫", 70],
]
TWICE_ROWS = [
    ("科普志愿者培训", D(9, 6), D(9, 6), "区科协", None, 40),
    ("科普志愿者培训", D(9, 20), D(9, 20), "区科协", None, 45),
    ("科普讲座", D(9, 12), D(9, 12), "第二小学", None, 300),
    ("青少年科技夜校", D(9, 13), D(9, 13), "区青少年宫", None, 60),
    ("青少年科技夜校", D(9, 13), D(9, 13), "区青少年宫", None, 70),
]
TWICE_WORD = [  # the Word summary lists two of them again, and one more on another date
    ["活动名称", "活动时间", "活动形式"],
    ["科普志愿者培训", "9月6日", "线下"],
    ["科普讲座", "9月12日", "线下"],
    ["科普讲座", "9月25日", "线上"],
]
TWICE_MERGED = [
    ("科普志愿者培训", D(9, 6), D(9, 6), "区科协", "offline", 40),
    ("科普志愿者培训", D(9, 20), D(9, 20), "区科协", None, 45),
    ("科普讲座", D(9, 12), D(9, 12), "第二小学", "offline", 300),
    ("科普讲座", D(9, 25), D(9, 25), None, "online", None),  # another date: another activity
    ("青少年科技夜校", D(9, 13), D(9, 13), "区青少年宫", None, 60),
    ("青少年科技夜校", D(9, 13), D(9, 13), "区青少年宫", None, 70),
]


# --- sources --------------------------------------------------------------------------------------

def html_blocks(blocks: list) -> bytes:
    """An HTML page of paragraphs (str) and bordered tables (lists of rows; M cells span)."""
    out = ['<html><head><meta charset="utf-8"></head><body>']
    for block in blocks:
        if isinstance(block, str):
            out.append(f"<p>{escape(block)}</p>")
            continue
        out.append('<table border="1">')
        for row in block:
            cells = []
            for cell in row:
                if cell is COVER:
                    continue
                m = cell if isinstance(cell, M) else M(cell)
                span = f' colspan="{m.cols}"' if m.cols > 1 else ""
                cells.append(f"<td{span}>{escape(str(m.value))}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")


_ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
           'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2"')


def fodt_body(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<office:document {_ODT_NS} office:mimetype="application/vnd.oasis.opendocument.text">'
            f"<office:body><office:text>{body}</office:text></office:body></office:document>").encode("utf-8")


def _paras(texts: list[str]) -> str:
    return "".join(f"<text:p>{escape(t)}</text:p>" for t in texts)


def framed_table(before: list[str], rows: list[list[str]], after: list[str]) -> bytes:
    """A flat ODF text whose table sits inside a text frame anchored to a paragraph."""
    cells = "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{escape(c)}</text:p></table:table-cell>'
        for c in row) + "</table:table-row>" for row in rows)
    table = (f'<table:table table:name="活动表"><table:table-column table:number-columns-repeated="{len(rows[0])}"/>'
             f"{cells}</table:table>")
    frame = ('<text:p><draw:frame draw:name="框1" text:anchor-type="paragraph" svg:width="16cm" svg:height="6cm">'
             f"<draw:text-box>{table}</draw:text-box></draw:frame></text:p>")
    return fodt_body(_paras(before) + frame + _paras(after))


def _renamed(converted: dict[str, bytes], target: str) -> dict[str, bytes]:
    return {f"{name.rsplit('.', 1)[0]}.{target}": data for name, data in converted.items()}


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    """Every converted file by name ("卡片.xlsx"); one soffice call per source format and target."""
    if not lo.available():
        missing_tool("LibreOffice (soffice) is not installed: bash setup.sh --test")
    out: dict[str, bytes] = {}
    writer_html = {"卡片.html": html_blocks(WORD_CARDS),
                   "竖表.html": html_blocks(["XX区科普月重点活动一览", WORD_TRANSPOSED, "以上活动均已在平台填报。"]),
                   "总结二.html": html_blocks(["XX区科协全国科普月活动总结", "一、活动开展情况", TWICE_WORD])}
    for target in ("docx", "doc"):
        out.update(_renamed(lo.convert(writer_html, target, lo.IMPORT_HTML["writer"]), target))
    calc = {"卡片表.fods": lo.fods({"活动登记": SHEET_CARDS}),
            "竖表.fods": lo.fods({"活动统计": SHEET_TRANSPOSED}),
            "两表.fods": lo.fods({"重点活动": KEY_SHEET, "一般活动": GENERAL_SHEET}),
            "类别表.fods": lo.fods({"活动统计": MARKED_SHEET}),
            "两行.fods": lo.fods({"Sheet1": TWICE})}
    for target in ("xlsx", "xls", "ods"):
        out.update(_renamed(lo.convert(calc, target), target))
    writer = {"段落.fodt": fodt_body(_paras(KV_LINES)),
              "框表.fodt": framed_table(["XX镇全国科普月活动总结", "一、活动开展情况", "本镇开展活动如下："],
                                       FRAMED, ["二、工作成效", "群众参与热情高。"])}
    for target in ("docx", "doc"):
        out.update(_renamed(lo.convert(writer, target), target))
    return out


def read(name: str, data: bytes) -> tuple[list[tuple], list[tuple], list[str]]:
    """(key rows, general rows, notes) of one file."""
    results = extract_file(name, data)
    assert [r.status for r in results] == ["parsed"], [r.error for r in results]
    acts = [normalize_activity(raw) for raw in results[0].activities]
    key = [_row(a) for a in acts if a.rank == "key"]
    general = [_row(a) for a in acts if a.rank == "general"]
    return key, general, results[0].notes


def _row(a) -> tuple:
    return (a.title, a.start_date, a.end_date, a.location, a.format, a.participants)


# --- item 5: 一事一表 and transposed tables -----------------------------------------------------------

@pytest.mark.parametrize("ext", ["docx", "doc"])
def test_one_small_table_per_activity_in_word(files, ext):
    key, general, _ = read(f"卡片.{ext}", files[f"卡片.{ext}"])
    assert key == WORD_CARD_ROWS and general == []


@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_cards_stacked_down_a_sheet(files, ext):
    key, general, _ = read(f"卡片表.{ext}", files[f"卡片表.{ext}"])
    assert key == SHEET_CARD_ROWS and general == []


@pytest.mark.parametrize("ext", ["docx", "doc"])
def test_transposed_word_table(files, ext):
    key, _, _ = read(f"竖表.{ext}", files[f"竖表.{ext}"])
    assert key == WORD_TRANSPOSED_ROWS


@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_transposed_sheet(files, ext):
    key, _, _ = read(f"竖表.{ext}", files[f"竖表.{ext}"])
    assert key == SHEET_TRANSPOSED_ROWS


@pytest.mark.parametrize("ext", ["docx", "doc"])
def test_label_value_lines_in_a_word_body(files, ext):
    key, _, _ = read(f"段落.{ext}", files[f"段落.{ext}"])
    assert key == KV_ROWS


def test_cards_sources_name_where_each_activity_starts(files):
    results = extract_file("卡片表.xlsx", files["卡片表.xlsx"])
    assert [a.source for a in results[0].activities] == [
        "卡片表.xlsx!活动登记!R3", "卡片表.xlsx!活动登记!R8", "卡片表.xlsx!活动登记!R13"]
    results = extract_file("竖表.xlsx", files["竖表.xlsx"])
    assert [a.source for a in results[0].activities] == [
        "竖表.xlsx!活动统计!B2", "竖表.xlsx!活动统计!C2", "竖表.xlsx!活动统计!D2"]


# --- item 7: key and general activities, a cancelled row ---------------------------------------------

@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_key_and_general_sheets(files, ext):
    key, general, notes = read(f"两表.{ext}", files[f"两表.{ext}"])
    assert key == KEY_ROWS
    assert general == GENERAL_ROWS
    assert any("农业科技下乡" in n and "取消" in n for n in notes)


@pytest.mark.parametrize("ext", ["xlsx", "xls"])
def test_key_and_general_by_a_column(files, ext):
    key, general, notes = read(f"类别表.{ext}", files[f"类别表.{ext}"])
    assert sorted(key) == sorted(KEY_ROWS)
    assert sorted(general) == sorted(GENERAL_ROWS)
    assert any("农业科技下乡" in n and "取消" in n for n in notes)


def test_general_activities_stay_apart_in_the_mail(files):
    raw = mb.mail(mb.multipart("mixed", [
        mb.text_part("附件是我县科普月活动统计表，请查收。"),
        mb.file_part(files["两表.xlsx"], "application/octet-stream", 'attachment; filename="list.xlsx"'),
    ]))
    content = read_mail(raw, 2025)
    assert sorted(_row(a) for a in content.activities) == sorted(KEY_ROWS)
    assert sorted(_row(a) for a in content.general_activities) == sorted(GENERAL_ROWS)


# --- item 8: the table LibreOffice loses -------------------------------------------------------------

def test_table_in_a_frame_read_from_antiword_cells(files):
    converted = extract_file("框表.docx", files["框表.docx"])[0]
    assert converted.activities == [] or len(converted.activities) == 3  # LibreOffice's own .docx
    key, _, notes = read("框表.doc", files["框表.doc"])
    assert key == FRAMED_ROWS


# --- item 11: two rows, one title --------------------------------------------------------------------

@pytest.mark.parametrize("ext", ["xlsx", "xls"])
def test_two_rows_with_one_title_are_two_activities(files, ext):
    key, _, _ = read(f"两行.{ext}", files[f"两行.{ext}"])
    assert key == TWICE_ROWS
    acts = [normalize_activity(r) for r in extract_file(f"两行.{ext}", files[f"两行.{ext}"])[0].activities]
    assert [_row(a) for a in dedupe_activities(acts)] == TWICE_ROWS


@pytest.mark.parametrize("word, excel", [("docx", "xlsx"), ("doc", "xls")])
def test_word_and_excel_copies_merge_only_where_they_agree(files, word, excel):
    raw = mb.mail(mb.multipart("mixed", [
        mb.text_part("附件是我区科普月总结和活动表，请查收。"),
        mb.file_part(files[f"总结二.{word}"], "application/octet-stream", f'attachment; filename="summary.{word}"'),
        mb.file_part(files[f"两行.{excel}"], "application/octet-stream", f'attachment; filename="list.{excel}"'),
    ]))
    content = read_mail(raw, 2025)
    assert len(content.activities) == 8
    assert sorted(_row(a) for a in dedupe_activities(content.activities)) == sorted(TWICE_MERGED)


# --- item 7 through the ledger: counted, exported, shown on their own sheet --------------------------

def test_general_activities_exported_apart_and_never_counted(files, tmp_path):
    import json

    import yaml

    from parsers.spreadsheet import read_workbook
    from run import main

    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    raw = mb.mail(mb.multipart("mixed", [
        mb.text_part("附件是我县全国科普月活动统计表，请查收。"),
        mb.file_part(files["两表.xlsx"], "application/octet-stream", 'attachment; filename="activities.xlsx"'),
    ]), subject=mb.b_word("XX县全国科普月活动统计表"), from_="kx@xxx.gov.cn", message_id="<two-sheets@xxx.gov.cn>")
    (inbox / "new" / "001.mail").write_bytes(raw)
    (tmp_path / "units.csv").write_text("unit_id,name,category,aliases,emails\nxx,XX县科协,county,,kx@xxx.gov.cn\n",
                                        encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"mailbox": {"maildir": "inbox"},
                                      "smtp": {"outdir": "sent", "from": "summary@126.com"},
                                      "admins": ["admin@example.org"], "data_dir": "var",
                                      "campaign": {"units": "units.csv"}}, allow_unicode=True), encoding="utf-8")
    assert main(["--config", str(config), "poll"]) == 0
    out = tmp_path / "out.json"
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [m["status"] for m in data["messages"]] == ["accepted"]
    assert sorted(a["title"] for a in data["activities"]) == sorted(r[0] for r in KEY_ROWS)
    assert sorted(a["title"] for a in data["general_activities"]) == sorted(r[0] for r in GENERAL_ROWS)
    assert set(data["general_activities"][0]) == set(data["activities"][0])  # the same fields
    assert data["units"][0]["reported"] == 2  # the two key activities; the cancelled one and the general ones not
    book = tmp_path / "out.xlsx"
    assert main(["--config", str(config), "export", "--format", "xlsx", "--out", str(book)]) == 0
    sheets = {s.name: s.rows for s in read_workbook(book.read_bytes())}
    assert sorted(r[1] for r in sheets["一般活动（不计入）"][1:]) == sorted(r[0] for r in GENERAL_ROWS)
    assert len(sheets["活动明细"]) == 1 + len(KEY_ROWS)
