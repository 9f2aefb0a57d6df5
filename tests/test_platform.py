"""The national platform's activity list against the demo season (issue 18, item 1).

The lists are laid out the way a back office exports them (a title row, an export-time line, merged
header cells, IDs, a status column) and written by LibreOffice (.xlsx from an HTML table, .xls from
flat ODF with real date cells) or by hand (a GB18030 CSV with one 活动时间 range column and no ID
column). Their rows come from the season's activities, with the rewordings, the rows units never
registered and the rows of other units and cities written out by hand below; the expected match of
every activity follows from that.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import lobuild as lo
import pytest
from lobuild import COVER, M

from parsers.platform_list import PlatformListError, read_platform_list
from pipeline.reporting.platform import claimed, disagreements, normalise_title, platform_summary
from pipeline.runtime.demo import write_season
from run import main
from samples import generate

NEEDS_LO = pytest.mark.skipif(not lo.available() and os.environ.get("CI") != "true",
                              reason="LibreOffice (soffice) is not installed: bash setup.sh --test")

# How each unit appears on the platform (its registered account or official name).
ORGANIZER = {
    "fengrun": "唐山市丰润区科学技术协会", "caofeidian": "曹妃甸区科协", "luannan": "滦南县科学技术协会",
    "lubei": "唐山市路北区科协", "zunhua": "遵化市科学技术协会", "qianxi": "迁西县科协",
    "fengnan": "丰南区全民科学素质工作领导小组办公室", "gaoxin": "唐山高新区科协", "haigang": "唐山海港开发区科协",
    "lutai": "芦台经济开发区科协", "m-tjj": "唐山市统计局", "m-mzj": "唐山市民政局", "m-lsj": "唐山市粮食和物资储备局",
    "m-xcb": "中共唐山市委宣传部", "m-wglj": "唐山市文化广电和旅游局", "m-wjw": "唐山市卫生健康委员会",
    "m-fl": "唐山市妇女联合会", "m-sthjj": "唐山市生态环境局", "s001": "唐山市测绘学会", "s002": "唐山市通信学会",
    "s003": "唐山市植物保护学会", "s004": "唐山市心理卫生协会", "s005": "唐山市青少年科技教育协会",
    "e001": "唐山三友集团有限公司科学技术协会", "e002": "中车唐山机车车辆有限公司科协",
    "c001": "曹妃甸职业技术学院科学技术协会", "c002": "河北能源职业技术学院科协", "b001": "唐山动物园",
    "b003": "开滦国家矿山公园", "p001": "学院南路街道农业技术协会", "p002": "路南区友谊街道农业技术协会",
    "p003": "路南区小山街道农业技术协会",
}
# Rows whose 主办单位 is a body under the unit (the unit is only the 填报单位).
HOST = {("fengrun", "科普大篷车进左家坞镇"): "丰润区左家坞镇人民政府",
        ("zunhua", "科普大篷车进党峪镇"): "遵化市党峪镇人民政府",
        ("caofeidian", "安全生产科普进校园"): "曹妃甸区第一中学"}
# Titles as units typed them on the platform.
REWORDED = {
    ("zunhua", "垃圾分类科普进校园"): "2025年全国科普月·垃圾分类知识进校园",
    ("fengrun", "垃圾分类知识进社区"): "【全国科普月】垃圾分类进社区活动",
    ("lubei", "合理用药科普讲座"): "“合理用药 健康同行”科普讲座",
    ("luannan", "节约用水云课堂"): "节约用水线上云课堂",
    ("fengnan", "消防安全科普知识培训"): "消防安全知识培训（第一期）",
    ("caofeidian", "“千万IP创科普”防灾避险短视频征集"): "#千万IP创科普#防灾避险科普短视频征集活动",
    ("haigang", "“科技强国 你我同行”全国科普月主场活动"): "海港经济开发区2025年全国科普月主场活动",
    ("m-wjw", "卫生健康科普讲座"): "卫生健康大讲堂科普讲座",
    ("gaoxin", "航空航天知识进社区"): "航空航天科普知识进社区",
    ("lutai", "数字素养科普报告会"): "提升全民数字素养科普报告会",
    ("zunhua", "科普大篷车进马兰峪镇"): "科普大篷车走进马兰峪镇",
    ("fengrun", "科普大篷车进泉河头镇"): "2025科普月科普大篷车进泉河头镇",
    ("m-fl", "卫生健康线上知识竞赛"): "卫生健康知识线上有奖竞答",
    ("e001", "消防安全科普志愿服务"): "消防安全志愿服务进企业",
    ("s003", "防范电信诈骗科普进校园"): "防范电信诈骗知识进校园宣讲",
    ("m-tjj", "食品安全知识进社区"): "食品安全进社区",
    ("luannan", "“科学之夜”卫生健康体验活动"): "科学之夜·卫生健康主题体验",
    ("lubei", "防震减灾应急演练科普"): "防震减灾应急疏散演练",
    ("qianxi", "人工智能科普进校园"): "AI人工智能科普进校园",
    ("zunhua", "心理健康主题科普周"): "心理健康科普宣传周",
    ("fengnan", "防震减灾科普讲座"): "防震减灾知识讲座",
    ("caofeidian", "人工智能知识进社区"): "人工智能进社区科普活动",
    ("haigang", "合理用药线上知识竞赛"): "合理用药知识网络竞赛",
    ("m-mzj", "防灾避险线上知识竞赛"): "防灾避险知识线上答题",
    ("lutai", "“千万IP创科普”低碳生活短视频征集"): "千万IP创科普——低碳生活短视频",
}
# Activities their units reported but never registered on the platform.
DROPPED = {("fengnan", "防灾避险科普讲座"), ("zunhua", "数字素养科普宣传活动"), ("lubei", "节约用水云课堂"),
           ("fengrun", "科普大篷车进火石营镇"), ("luannan", "合理用药云课堂"), ("m-lsj", "心理健康科普志愿服务"),
           ("s001", "低碳生活科普讲座"), ("caofeidian", "消防安全科普报告会"), ("gaoxin", "农业生产知识进社区"),
           ("haigang", "卫生健康主题科普周"), ("m-xcb", "心理健康科普知识培训"), ("c002", "节约用水科普宣传活动")}
# Registered on the platform a day off the reported dates.
SHIFTED = {("lubei", "数字素养科普宣传活动"), ("fengnan", "农业生产科技下乡服务"), ("m-sthjj", "消防安全应急演练科普")}
REJECTED = ("luannan", "食品安全科普宣传活动")  # the platform did not approve it
# Rows on the platform that no reported activity stands for: (id, title, organizer, start, end).
EXTRA = [
    ("KX-9001", "人工智能科普进校园", "石家庄市科学技术协会", date(2025, 9, 13), date(2025, 9, 13)),
    ("KX-9002", "数字素养科普宣传活动", "秦皇岛市海港区科协", date(2025, 9, 1), date(2025, 9, 1)),
    ("KX-9003", "防震减灾科普讲座", "古冶区科协", date(2025, 9, 12), date(2025, 9, 12)),
    ("KX-9004", "科普大篷车进卑家店乡", "唐山市古冶区科学技术协会", date(2025, 9, 18), date(2025, 9, 18)),
    ("KX-9005", "垃圾分类科普讲座", "唐山市第一中学", date(2025, 9, 22), date(2025, 9, 22)),
    ("KX-9006", "科普讲解大赛", "丰润区科协", date(2025, 9, 26), date(2025, 9, 26)),
    ("KX-9007", "“科学之夜”天文观测体验活动", "唐山市路北区科协", date(2025, 9, 27), date(2025, 9, 27)),
    ("KX-9008", "2025年全国科普月主场活动", "邯郸市科学技术协会", date(2025, 9, 20), date(2025, 9, 20)),
    ("KX-9009", "科普读书分享会", "唐山市图书馆", date(2025, 9, 23), date(2025, 9, 23)),
    ("KX-9010", "食品安全科普进校园（第二场）", "遵化市科学技术协会", date(2025, 9, 30), date(2025, 9, 30)),
    ("KX-9011", "心理健康科普讲座", "芦台经济开发区科协", date(2025, 9, 15), date(2025, 9, 15)),
    ("KX-9012", "防汛应急科普宣传", "唐山市应急管理局", date(2025, 9, 9), date(2025, 9, 9)),
]
EXTRA_UNITS = {"KX-9003": "guye", "KX-9004": "guye", "KX-9006": "fengrun", "KX-9007": "lubei",
               "KX-9010": "zunhua", "KX-9011": "lutai"}
FORMAT_CN = {"offline": "线下", "online": "线上", "hybrid": "线上+线下", None: ""}


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """The demo season (seed 7) polled once; its current activities as the export gives them."""
    folder = tmp_path_factory.mktemp("season")
    config = write_season(folder, generate(seed=7))
    assert main(["--config", str(config), "poll"]) == 0
    data = _export(config, folder / "before.json")
    return folder, config, data


def _export(config: Path, out: Path) -> dict:
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def platform_rows(activities: list[dict]) -> tuple[list[dict], dict[tuple[str, str], str]]:
    """The platform's rows (dicts) and the expected platform id of each registered activity."""
    keys = {(a["unit_id"], a["title"]) for a in activities}
    for key in [*REWORDED, *DROPPED, *SHIFTED, *HOST, REJECTED]:
        assert key in keys, f"the demo season no longer has {key}: update the hand-written lists"
    rows, expected = [], {}
    for n, a in enumerate(sorted(activities, key=lambda a: (a["start_date"], a["unit_id"], a["title"]))):
        key = (a["unit_id"], a["title"])
        if key in DROPPED:
            continue
        start, end = date.fromisoformat(a["start_date"]), date.fromisoformat(a["end_date"])
        if key in SHIFTED:
            start, end = start + timedelta(days=1), end + timedelta(days=1)
        pid = f"KPY2025-1302-{n + 1:05d}"
        expected[key] = pid
        rows.append({"id": pid, "title": REWORDED.get(key, a["title"]), "filer": ORGANIZER[a["unit_id"]],
                     "host": HOST.get(key, ORGANIZER[a["unit_id"]]), "start": start, "end": end,
                     "place": a["location"] or "", "format": FORMAT_CN[a["format"]],
                     "status": "审核未通过" if key == REJECTED else "审核通过"})
    for pid, title, organizer, start, end in EXTRA:
        rows.append({"id": pid, "title": title, "filer": organizer, "host": organizer, "start": start, "end": end,
                     "place": "", "format": "线下", "status": "审核通过"})
    rows.sort(key=lambda r: (r["start"], r["id"]))
    return rows, expected


def _t(day: date, clock: str) -> str:
    return f"{day.isoformat()} {clock}"


def xlsx_source(rows: list[dict]) -> bytes:
    """A back office's export as an HTML table: title row, export line, 活动时间 merged over 开始 | 结束."""
    width = 11
    grid: list[list] = [[M("2025年全国科普月活动信息导出（河北省唐山市）", cols=width)] + [COVER] * (width - 1),
                        [M(f"导出时间：2025-10-08 09:12　共{len(rows)}条", cols=width)] + [COVER] * (width - 1),
                        [M("序号", rows=2), M("活动编号", rows=2), M("活动名称", rows=2), M("所属板块", rows=2),
                         M("主办单位", rows=2), M("填报单位", rows=2), M("活动时间", cols=2), COVER,
                         M("活动地点", rows=2), M("活动形式", rows=2), M("审核状态", rows=2)],
                        [COVER] * 6 + ["开始时间", "结束时间"] + [COVER] * 3]
    for n, r in enumerate(rows, 1):
        grid.append([n, r["id"], r["title"], "科普活动", r["host"], r["filer"], _t(r["start"], "09:00"),
                     _t(r["end"], "17:00"), r["place"], r["format"], r["status"]])
    return lo.html_table(grid)


def xls_source(rows: list[dict]) -> bytes:
    """Flat ODF, real date cells, one organizer column (举办单位), 活动ID, status before the dates."""
    grid: list[list] = [[M("全国科普月平台活动列表", cols=8)] + [COVER] * 7,
                        [M("活动ID", rows=2), M("活动名称", rows=2), M("举办单位", rows=2), M("审核状态", rows=2),
                         M("活动时间", cols=2), COVER, M("活动形式", rows=2), M("活动地点", rows=2)],
                        [COVER] * 4 + ["开始", "结束"] + [COVER] * 2]
    for r in rows:
        grid.append([r["id"], r["title"], r["filer"], r["status"], r["start"], r["end"], r["format"], r["place"]])
    return lo.fods({"活动列表": grid})


def csv_bytes(rows: list[dict]) -> bytes:
    """Typed by hand: GB18030, a title line, 活动主题/举办单位, one 活动时间 range cell, no ID column."""
    lines = ["全国科普月活动查询结果,,,,", "活动主题,举办单位,活动时间,活动地点,审核状态"]
    for r in rows:
        span = f"{r['start']:%Y/%m/%d} 09:00 至 {r['end']:%Y/%m/%d} 17:00"
        lines.append(",".join([r["title"], r["host"], span, r["place"].replace(",", "，"), r["status"]]))
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def _score(data: dict, expected: dict[tuple[str, str], str], by_line: bool = False,
           rows: list[dict] | None = None) -> tuple[float, float]:
    """(recall, precision) of the export's platform_id against the expected ids."""
    if by_line:  # no ID column: the id is the row's line in the file (two title/header lines above)
        line_of = {r["id"]: f"第{n + 3}行" for n, r in enumerate(rows or [])}
        expected = {k: line_of[v] for k, v in expected.items()}
    got = {(a["unit_id"], a["title"]): a["platform_id"] for a in data["activities"]}
    predicted = {k: v for k, v in got.items() if v}
    right = sum(1 for k, v in predicted.items() if expected.get(k) == v)
    return right / len(expected), right / max(len(predicted), 1)


def _import(config: Path, path: Path, capsys) -> str:
    assert main(["--config", str(config), "platform", "import", str(path)]) == 0
    return capsys.readouterr().out


@NEEDS_LO
@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_libreoffice_list_matches_the_season(season, kind, tmp_path, capsys):
    folder, config, before = season
    assert before["platform"] is None and all(a["platform_id"] is None for a in before["activities"])
    assert all(u["platform_activities"] is None for u in before["units"])
    rows, expected = platform_rows(before["activities"])
    if kind == "xlsx":
        made = lo.convert({"list.html": xlsx_source(rows)}, "xlsx", lo.IMPORT_HTML["calc"])["list.html"]
    else:
        made = lo.convert({"list.fods": xls_source(rows)}, "xls")["list.fods"]
    path = tmp_path / f"平台活动.{kind}"
    path.write_bytes(made)
    out = _import(config, path, capsys)
    assert f"{len(rows)} 行" in out and "仅在平台" in out
    data = _export(config, tmp_path / "after.json")
    recall, precision = _score(data, expected)
    print(f"{kind}: recall {recall:.3f} precision {precision:.3f} ({len(expected)} expected, {len(rows)} rows)")
    assert recall >= 0.95 and precision >= 0.98
    _check_section(data, rows, expected)


def _check_section(data: dict, rows: list[dict], expected: dict) -> None:
    section = data["platform"]
    assert section["rows"] == len(rows)
    only = {r["platform_id"]: r for r in section["only_on_platform"]}
    assert {pid for pid, *_ in EXTRA} <= only.keys()
    for pid, unit_id in EXTRA_UNITS.items():
        assert only[pid]["unit_id"] == unit_id, pid
    for pid in ("KX-9001", "KX-9002", "KX-9005", "KX-9008", "KX-9009", "KX-9012"):
        assert only[pid]["unit_id"] is None, pid  # other cities, bodies not in the registry
    units = {u["unit_id"]: u for u in data["units"]}
    assert units["guye"]["platform_activities"] == 2 and units["guye"]["reported"] == 0
    assert units["m-xcb"]["platform_activities"] == 0
    rejected = [d for d in section["disagreements"] if d["title"] == REJECTED[1]]
    assert rejected and "审核未通过" in rejected[0]["issue"]
    summary = platform_summary(data)
    assert summary is not None and summary["matched"] == section["matched"]
    assert summary["units"]["m-xcb"]["share"] == 0.0
    registered = sum(1 for k in expected if k[0] == "zunhua")
    assert summary["units"]["zunhua"]["registered"] == registered


def test_gb18030_csv_without_ids(season, tmp_path, capsys):
    folder, config, before = season
    rows, expected = platform_rows(before["activities"])
    path = tmp_path / "活动查询结果.csv"
    path.write_bytes(csv_bytes(rows))
    _import(config, path, capsys)
    data = _export(config, tmp_path / "after.json")
    recall, precision = _score(data, expected, by_line=True, rows=rows)
    print(f"csv (GB18030, no ids, host column only): recall {recall:.3f} precision {precision:.3f}")
    assert recall >= 0.95 and precision >= 0.98
    assert data["platform"]["file"] == "活动查询结果.csv"
    audit = sqlite3.connect(folder / "var" / "ledger.sqlite3").execute(
        "SELECT action, target, ok FROM audit WHERE action='platform_import' ORDER BY id DESC").fetchone()
    assert audit == ("platform_import", str(path), 1)


def test_an_import_replaces_the_previous_one(season, tmp_path, capsys):
    folder, config, before = season
    first = tmp_path / "a.csv"
    first.write_bytes("活动名称,主办单位,活动时间\n垃圾分类科普进校园,遵化市科协,2025-09-08\n".encode("utf-8-sig"))
    _import(config, first, capsys)
    second = tmp_path / "b.csv"
    second.write_bytes("活动名称,主办单位,开始日期\n科普讲解大赛,丰润区科协,9月26日\n人工智能讲座,外市科协,9月1日\n"
                       .encode("utf-8"))
    out = _import(config, second, capsys)
    assert "2 行" in out
    data = _export(config, tmp_path / "x.json")
    assert data["platform"]["rows"] == 2 and data["platform"]["matched"] == 0
    assert not any(a["platform_id"] for a in data["activities"])


@pytest.mark.parametrize("content, name, words", [
    (b"", "empty.csv", "空"),
    (b"\x00\x01garbage" * 50, "list.xlsx", "不是 Excel"),
    ("姓名,电话\n张三,123\n".encode("utf-8"), "people.csv", "表头"),
    ("活动名称,主办单位\n".encode("utf-8"), "header_only.csv", "没有活动行"),
    (b"\xff\xfe\x00\xd8" * 20 + b"\n\x81\x30", "bad.csv", "编码"),
])
def test_unreadable_file_is_a_one_line_refusal(season, tmp_path, capsys, content, name, words):
    folder, config, _ = season
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["--config", str(config), "platform", "import", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and name in err and words in err, err
    assert main(["--config", str(config), "platform", "import", str(tmp_path / "missing.xlsx")]) == 2
    assert "missing.xlsx" in capsys.readouterr().err


def test_parser_reads_headers_that_vary():
    text = ("说明：本表由平台导出\n\n序号\t活动编号\t活动主题\t填报单位\t活动时间\t活动形式\t所属板块\t审核状态\t填报时间\n"
            "1\tA-1\t2025年全国科普月·科普进社区\t路北区科协\t2025年9月15日-16日\t线下\t基层科普\t审核通过\t2025-08-30\n"
            "2\tA-2\t（示例）科普讲座\t\t\t\t\t\t\n"
            "合计\t\t\t\t\t\t\t\t\n")
    listed = read_platform_list(text.encode("gb18030"), "list.txt")
    assert listed.columns["title"] == "活动主题" and listed.columns["filer"] == "填报单位"
    assert "date" in listed.columns and listed.columns["date"] == "活动时间"  # 填报时间 is not the activity's
    first = listed.rows[0]
    assert (first.platform_id, first.start_date, first.end_date) == ("A-1", date(2025, 9, 15), date(2025, 9, 16))
    assert (first.section, first.status, first.line) == ("基层科普", "审核通过", 4)
    with pytest.raises(PlatformListError):
        read_platform_list("活动名称\n只有一列\n".encode(), "x.csv")


def test_titles_and_claims():
    assert normalise_title("2025年全国科普月·【科普进社区】活动") == "科普进社区"
    assert normalise_title("科普进社区活动") == normalise_title("科普进社区")
    assert (claimed("是"), claimed("已填报"), claimed("否"), claimed("未填报"), claimed(""), claimed("待定")) == \
        (True, True, False, False, None, None)
    activities = [{"unit_id": "u", "title": "甲", "raw": json.dumps({"platform": "是"}, ensure_ascii=False)},
                  {"unit_id": "u", "title": "乙", "raw": {"platform": "否"}},
                  {"unit_id": "u", "title": "丙", "raw": {"platform": "是"}},
                  {"unit_id": "u", "title": "丁", "raw": {}}]
    rows = [{"platform_id": "P2", "status": "审核通过"}, {"platform_id": "P3", "status": "审核通过"}]
    found = disagreements(activities, [None, "P2", "P3", None], rows)
    assert [(d["title"], d["platform_id"]) for d in found] == [("甲", None), ("乙", "P2")]


def test_an_old_ledger_opens_and_exports_no_platform(tmp_path):
    from pipeline.ledger.store import Store

    db = sqlite3.connect(tmp_path / "ledger.sqlite3")
    db.executescript("CREATE TABLE messages (key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, message_id TEXT,"
                     " arrival_at TEXT, first_seen_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',"
                     " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, outcome TEXT, kind TEXT, reason TEXT,"
                     " unit_id TEXT, candidates TEXT, sender TEXT, sender_name TEXT, subject TEXT,"
                     " received_at TEXT, late INTEGER, carries_list INTEGER, carries_narrative INTEGER,"
                     " narrative TEXT, fixes TEXT, notes TEXT, excerpt TEXT, processed_at TEXT);")
    db.close()
    store = Store(tmp_path / "ledger.sqlite3")
    assert store.platform_import() is None and store.platform_rows() == []
    store.replace_platform_list("x.csv", "0", "", {"title": "活动名称"}, [], [{"platform_id": "1", "title": "t"}])
    assert [r["platform_id"] for r in store.platform_rows()] == ["1"]
    store.close()


def test_workbook_sheet_lists_what_to_check(season, tmp_path, capsys):
    from openpyxl import load_workbook

    folder, config, before = season
    rows, expected = platform_rows(before["activities"])
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes(rows))
    _import(config, path, capsys)
    out = tmp_path / "book.xlsx"
    assert main(["--config", str(config), "export", "--format", "xlsx", "--out", str(out)]) == 0
    sheet = load_workbook(out)["平台核对"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["类型", "单位名称", "活动名称"]
    kinds = [r[0] for r in values[1:]]
    assert kinds.count("仅在平台") >= len(EXTRA)
    assert kinds.count("总结有、平台未找到") >= len(DROPPED)
    assert ["填报情况不一致", "滦南县", REJECTED[1]] in [r[:3] for r in values[1:]]
    assert main(["--config", str(config), "export", "--format", "csv", "--out", str(tmp_path / "a.csv")]) == 0
    header = (tmp_path / "a.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.endswith("平台活动编号")


@NEEDS_LO
def test_units_own_platform_column_against_the_list(season, tmp_path, capsys):
    """古冶区 (no mail in the demo season) sends a table LibreOffice wrote, with 是否在平台填报 filled in."""
    import mailbox

    import mailbuild as mb
    import yaml

    folder = tmp_path / "season"
    shutil.copytree(season[0], folder)
    config = folder / "config.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    table = [["序号", "活动名称", "活动时间", "活动地点", "参与人数", "是否在平台填报"],
             [1, "古冶区防震减灾科普讲座", "2025年9月12日", "古冶区图书馆", 200, "是"],
             [2, "科普大篷车进卑家店乡", "9月18日", "卑家店乡", 300, "否"],
             [3, "古冶区青少年科技创新大赛", "9月20日", "古冶区科技馆", 150, "是"],
             [4, "节约用水宣传进社区", "9月22日", "林西街道", 80, ""]]
    xlsx = lo.convert({"guye.html": lo.html_table(table)}, "xlsx", lo.IMPORT_HTML["calc"])["guye.html"]
    name = mb.b_word("古冶区科普月活动统计表.xlsx")
    raw = mb.mail(mb.multipart("mixed", [
        mb.text_part("古冶区全国科普月活动统计表见附件。"),
        mb.file_part(xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f'attachment; filename="{name}"')]),
        subject=mb.b_word("古冶区全国科普月活动总结"), from_=f"{mb.b_word('古冶区科协')} <1073497603@qq.com>",
        to=settings["mailbox"]["username"], date="Sat, 20 Sep 2025 10:00:00 +0800",
        message_id="<guye-platform@qq.com>")
    mailbox.Maildir(str(folder / "inbox")).add(raw)
    assert main(["--config", str(config), "poll"]) == 0
    rows, _ = platform_rows(season[2]["activities"])
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes(rows))
    _import(config, path, capsys)
    data = _export(config, tmp_path / "after.json")
    guye = {a["title"]: a["platform_id"] for a in data["activities"] if a["unit_id"] == "guye"}
    line_of = {r["id"]: f"第{n + 3}行" for n, r in enumerate(rows)}
    assert guye == {"古冶区防震减灾科普讲座": line_of["KX-9003"], "科普大篷车进卑家店乡": line_of["KX-9004"],
                    "古冶区青少年科技创新大赛": None, "节约用水宣传进社区": None}
    found = {d["title"]: d for d in data["platform"]["disagreements"] if d["unit_id"] == "guye"}
    assert set(found) == {"科普大篷车进卑家店乡", "古冶区青少年科技创新大赛"}
    assert found["科普大篷车进卑家店乡"]["unit_says"] == "否"
    assert found["古冶区青少年科技创新大赛"]["platform_id"] is None
    assert [u["platform_activities"] for u in data["units"] if u["unit_id"] == "guye"] == [2]


def test_an_xls_that_is_an_html_table():
    """Back offices often serve an HTML table named .xls: rowspan/colspan cells read like merged cells."""
    page = ("<html><body><table border=1><tr><td colspan=5>全国科普月活动</td></tr>"
            "<tr><th rowspan=2>编号</th><th rowspan=2>活动名称</th><th colspan=2>活动时间</th><th rowspan=2>审核状态</th></tr>"
            "<tr><td>开始</td><td>结束</td></tr>"
            "<tr><td>P-1</td><td>科学之夜<br>体验活动</td><td>2025-09-05</td><td>2025-09-06</td><td>审核通过</td></tr>"
            "<tr><td>P-2</td><td rowspan=2>科普讲座</td><td>2025-09-07</td><td></td><td>待审核</td></tr>"
            "<tr><td>P-3</td><td>2025-09-08</td><td>2025-09-08</td><td>审核通过</td></tr>"
            "</table></body></html>")
    listed = read_platform_list(page.encode("gb18030"), "export.xls")
    got = [(r.platform_id, r.title, r.start_date, r.end_date, r.status) for r in listed.rows]
    assert got == [("P-1", "科学之夜 体验活动", date(2025, 9, 5), date(2025, 9, 6), "审核通过"),
                   ("P-2", "科普讲座", date(2025, 9, 7), date(2025, 9, 7), "待审核"),
                   ("P-3", "科普讲座", date(2025, 9, 8), date(2025, 9, 8), "审核通过")]


def test_the_most_specific_label_wins():
    text = ("活动简介,单位类型,活动名称,活动内容,填报单位,联系电话,开始日期\n"
            "讲了什么,事业单位,科普讲座,讲座,路北区科协,0315-1234567,2025-09-03\n")
    listed = read_platform_list(text.encode(), "x.csv")
    assert (listed.columns["title"], listed.columns["filer"]) == ("活动名称", "填报单位")
    assert (listed.rows[0].title, listed.rows[0].filer) == ("科普讲座", "路北区科协")
    assert listed.rows[0].extra["单位类型"] == "事业单位"


WRAPS = [lambda t, o: f"2025年全国科普月·{t}", lambda t, o: f"{o[:5]}{t}", lambda t, o: f"【科普月】{t}（第一期）",
         lambda t, o: t.replace("科普", ""), lambda t, o: t + "活动", lambda t, o: f"“{t}”主题活动",
         lambda t, o: t.replace("知识", "")]


@pytest.mark.parametrize("seed", range(3))
def test_rewordings_drawn_at_random(season, seed):
    """Beside the hand-written list: 10 % of rows dropped, 40 % of titles wrapped, dates up to two days
    off, and 30 rows repeating the season's titles for other cities, unknown bodies and other units."""
    import random

    from pipeline.campaign.registry import load_registry
    from pipeline.reporting.platform import UnitResolver, match

    folder, _, before = season
    acts, rng = before["activities"], random.Random(seed)
    rows, expected = [], {}
    for n, a in enumerate(acts):
        if rng.random() < 0.1:
            continue
        title, organizer = a["title"], ORGANIZER[a["unit_id"]]
        if rng.random() < 0.4:
            title = rng.choice(WRAPS)(title, organizer)
        start = date.fromisoformat(a["start_date"]) + timedelta(days=rng.choice([0, 0, 0, 0, 1, -1, 2]))
        expected[(a["unit_id"], a["title"])] = f"R{n}"
        rows.append({"platform_id": f"R{n}", "title": title, "organizer": organizer, "filer": None,
                     "start_date": start.isoformat(), "end_date": None})
    for k in range(30):
        organizer = rng.choice(["石家庄市科协", "某某镇政府", "唐山市第二中学", rng.choice(sorted(ORGANIZER.values()))])
        rows.append({"platform_id": f"X{k}", "title": rng.choice(acts)["title"], "organizer": organizer,
                     "filer": None, "start_date": date(2025, 9, rng.randint(1, 30)).isoformat(), "end_date": None})
    matched, _ = match(acts, rows, UnitResolver(load_registry(folder / "units.csv")))
    got = {(acts[i]["unit_id"], acts[i]["title"]): rows[j]["platform_id"] for i, j in matched.items()}
    right = sum(1 for k, v in got.items() if expected.get(k) == v)
    assert right / len(expected) >= 0.95 and right / len(got) >= 0.98, (right, len(expected), len(got))


def test_the_report_states_the_imported_lists_numbers(season, tmp_path, capsys):
    """The season report (branch `report`) reads the export's platform section: the same numbers."""
    import docx

    folder, config, before = season
    rows, expected = platform_rows(before["activities"])
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes(rows))
    _import(config, path, capsys)
    data = _export(config, tmp_path / "after.json")
    out = tmp_path / "总结.docx"
    assert main(["--config", str(config), "report", "--out", str(out)]) == 0
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    section = data["platform"]
    assert (f"全国科普月平台清单共{section['rows']}条，与报送活动匹配{section['matched']}条；"
            f"报送的{len(data['activities'])}项活动中{section['matched']}项可在平台查到，"
            f"{section['unmatched_activities']}项未查到；另有{len(section['only_on_platform'])}条仅见于平台。") in text
    assert section["matched"] == len(expected) - 1 and len(section["only_on_platform"]) == len(EXTRA) + 1
