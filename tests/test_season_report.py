"""The season's end on the demo season (samples seed 7, polled from a Maildir): the report draft that
`run.py report` writes, opened by python-docx and by LibreOffice (converted to PDF, which must not fail),
its numbers against the export of the same moment; the picks in the ledger, audited; an old ledger
opening; the digest and its chart once the deadline has passed and a correction arrives in December."""
import json
import re
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from conftest import missing_tool
from docx import Document

from run import main
from samples import generate

SHOTS = Path(__file__).resolve().parents[1] / "bench" / "out" / "console"
SHORT = {"county": "县（市）区", "zone": "开发区", "member": "成员单位", "society": "市级学会",
         "enterprise_sa": "企业科协", "college_sa": "院校科协", "base": "科普基地", "project": "项目单位"}


@pytest.fixture(scope="module")
def polled(tmp_path_factory):
    from pipeline.runtime.demo import write_season

    folder = tmp_path_factory.mktemp("season")
    assert main(["--config", str(write_season(folder, generate(seed=7))), "poll"]) == 0
    return folder


@pytest.fixture
def season(polled, tmp_path):
    shutil.copytree(polled, tmp_path / "season")
    return tmp_path / "season" / "config.yaml"


def _export(config: Path) -> dict:
    out = config.parent / "export.json"
    assert main(["--config", str(config), "export", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _report(config: Path) -> tuple[Path, Document]:
    out = config.parent / "总结.docx"
    assert main(["--config", str(config), "report", "--out", str(out)]) == 0
    return out, Document(str(out))


def _text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def _current_narratives(config: Path, data: dict) -> dict[str, dict]:
    """Per unit, the sections of its newest accepted message with a narrative, read from the ledger with sqlite3."""
    accepted = {m["message_id"]: m for m in data["messages"] if m["status"] == "accepted" and m["unit_id"]}
    db = sqlite3.connect(config.parent / "var" / "ledger.sqlite3")
    out: dict[str, dict] = {}
    for mid, key, narrative in db.execute("SELECT message_id, key, narrative FROM messages ORDER BY received_at"):
        m = accepted.get(mid or key)
        if m and narrative and json.loads(narrative):
            out[m["unit_id"]] = json.loads(narrative)
    return out


def test_report_numbers_equal_the_export(season):
    path, doc = _report(season)
    data = _export(season)
    units, acts = data["units"], data["activities"]
    text = _text(doc)
    basics = re.search(r"全市应报送总结的单位共(\d+)家，已报送(\d+)家，其中按时报送(\d+)家、逾期报送(\d+)家，未报送(\d+)家；"
                       r"达到重点科普活动数量要求的(\d+)家。各单位共报送重点科普活动(\d+)项（应报不少于(\d+)项），参与群众(\d+)人次", text)
    submitted = sum(u["submitted"] for u in units)
    late = sum(u["late"] for u in units)
    assert [int(x) for x in basics.groups()] == [
        len(units), submitted, submitted - late, late, len(units) - submitted, sum(u["met"] for u in units),
        len(acts), sum(u["required"] for u in units), sum(a["participants"] or 0 for a in acts)]
    # the table by category, row by row
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["类别", "单位数", "已报送", "按时报送", "达标", "应报活动", "已报活动", "参与人次"]
    expected = []
    for code, label in SHORT.items():
        mine = [u for u in units if u["category"] == code]
        ids = {u["unit_id"] for u in mine}
        if mine:
            expected.append([label, len(mine), sum(u["submitted"] for u in mine),
                             sum(u["submitted"] and not u["late"] for u in mine), sum(u["met"] for u in mine),
                             sum(u["required"] for u in mine), sum(u["reported"] for u in mine),
                             sum(a["participants"] or 0 for a in acts if a["unit_id"] in ids)])
    assert [[r.cells[0].text] + [int(c.text) for c in r.cells[1:]] for r in table.rows[1:]] == expected
    # the appendix lists every current activity once
    listed = [r.cells[2].text for t in doc.tables[1:] for r in t.rows[1:]]
    assert sorted(listed) == sorted(a["title"] for a in acts)
    # every unit's 典型案例 and each sentence of its 意见建议, attributed
    narratives = _current_narratives(season, data)
    assert len(narratives) >= 20
    names = {u["unit_id"]: u["name"] for u in units}
    for unit_id, sections in narratives.items():
        case = next(v for k, v in sections.items() if "典型案例" in k)
        assert f"{case}（{names[unit_id]}）" in text
        advice = next(v for k, v in sections.items() if "意见建议" in k)
        assert advice.split("。")[0] in text
    assert "五、拟表扬单位和活动（草稿）" in text  # nobody picked yet


def test_report_is_a4_in_official_fonts(season):
    path, doc = _report(season)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    qn = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    title, heading = doc.paragraphs[0], next(p for p in doc.paragraphs if p.text == "一、基本情况")
    assert title.runs[0]._element.rPr.rFonts.get(qn + "eastAsia") == "方正小标宋简体"
    assert heading.runs[0]._element.rPr.rFonts.get(qn + "eastAsia") == "黑体"
    body = next(p for p in doc.paragraphs if p.text.startswith("2025年全国科普月期间"))
    assert body.runs[0]._element.rPr.rFonts.get(qn + "eastAsia") == "仿宋_GB2312"
    import zipfile

    fonts = zipfile.ZipFile(path).read("word/fontTable.xml").decode()
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts


def test_libreoffice_opens_the_report(season):
    from samples.convert import run_soffice, soffice

    exe = soffice()
    if exe is None:
        missing_tool("soffice is missing: apt-get install libreoffice-writer-nogui")
    path, _ = _report(season)
    work = Path(tempfile.mkdtemp(prefix="report-pdf-"))
    try:
        pdf = run_soffice(exe, work, [str(path)], "pdf:writer_pdf_Export", 240) / "总结.pdf"
        assert pdf.is_file() and pdf.stat().st_size > 10_000, "LibreOffice could not convert the report"
        if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
            missing_tool("pdftotext/pdftoppm are missing: apt-get install poppler-utils")
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "一、基本情况" in text and "三、典型案例" in text and "附件" in text
        SHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(SHOTS / "report-page1")], check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_picks_are_audited_and_make_the_report_final(season, capsys):
    from pipeline.admin.actions import perform
    from pipeline.admin.review import ReviewError
    from pipeline.config import load_config
    from pipeline.reporting.season import load_season
    from pipeline.runtime.app import Pipeline

    config = load_config(season)
    with Pipeline(config) as p:
        shortlist = load_season(config, p.registry, p.store).shortlist
        unit, activity = shortlist.units[1], shortlist.activities[0]
        perform(p, "网页:李四", "pick", unit.unit_id, "unit", by="网页:李四")
        perform(p, "网页:李四", "pick", activity.key, "activity", by="网页:李四")
        with pytest.raises(ReviewError):
            perform(p, "网页:李四", "pick", "no-such-unit", "unit")
        log = [(r.actor, r.action, r.target, r.ok) for r in p.store.audit_log()]
    assert log[:3] == [("网页:李四", "pick", "no-such-unit", 0), ("网页:李四", "pick", activity.key, 1),
                       ("网页:李四", "pick", unit.unit_id, 1)]
    _, doc = _report(season)
    text = _text(doc)
    assert "五、拟表扬单位和活动\n" in text + "\n" and "（草稿）" not in text.split("五、拟表扬单位和活动")[1][:10]
    section = text.split("五、拟表扬单位和活动")[1]
    assert f"1. {unit.name}（评分{unit.total}）" in section and f"《{activity.title}》" in section
    assert shortlist.units[0].name + "（评分" not in section  # only what was picked
    with Pipeline(config) as p:
        perform(p, "命令行:x", "unpick", unit.unit_id, "unit")
        assert [r.target for r in p.store.picks()] == [activity.key]


def test_an_old_ledger_opens_and_gains_the_picks_table(tmp_path):
    from pipeline.ledger import store as store_module
    from pipeline.ledger.schema import BASE

    path = tmp_path / "ledger.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(BASE.replace("    standing TEXT                               -- own | forward | unverified (pipeline/judge/decide.py)\n", "    x TEXT\n"))
    old.execute("INSERT INTO audit(at, actor, action, ok) VALUES ('2025-09-01', 'a', 'assign', 1)")
    old.commit()
    old.close()
    store = store_module.Store(path)
    assert store.set_pick("unit", "u1", "甲县", "网页:王") and not store.set_pick("unit", "u1", "甲县", "网页:王")
    assert [(r.kind, r.target, r.actor) for r in store.picks()] == [("unit", "u1", "网页:王")]
    assert len(store.audit_log()) == 1
    store.close()


def test_report_refuses_a_path_that_is_not_docx(season, capsys):
    assert main(["--config", str(season), "report", "--out", str(season.parent / "总结.pdf")]) == 2
    assert "ending in .docx" in capsys.readouterr().err


def _correction_in_december(config: Path, data: dict) -> str:
    """A unit's accepted mail sent again on 6 December (a late correction), dropped in the Maildir."""
    accepted = {m["message_id"] for m in data["messages"] if m["status"] == "accepted"}
    raw = next(m.raw for m in generate(seed=7).mails if m.message_id in accepted)
    raw = re.sub(rb"(?m)^Date: .*$", b"Date: Sat, 06 Dec 2025 10:00:00 +0800", raw, count=1)
    raw = re.sub(rb"(?im)^Message-ID: .*$", b"Message-ID: <correction-dec@example.org>", raw, count=1)
    (config.parent / "inbox" / "new" / "1765000000.correction.host").write_bytes(raw)
    return "<correction-dec@example.org>"


def test_after_the_deadline_the_digest_turns_to_the_season_end(season):
    assert main(["--config", str(season), "digest", "--date", "2025-09-20", "--dry-run"]) == 0
    folder = season.parent / "var" / "digests"
    before = message_from_bytes((folder / "digest-2025-09-20.eml").read_bytes(), policy=policy.default)
    assert "报送已截止" not in before.get_body(("plain",)).get_content()

    message_id = _correction_in_december(season, _export(season))
    assert main(["--config", str(season), "poll"]) == 0
    data = _export(season)
    mail = next(m for m in data["messages"] if m["message_id"] == message_id)
    assert mail["received_at"].startswith("2025-12-06") and mail["status"] != "ignored"
    assert main(["--config", str(season), "digest", "--date", "2025-12-06", "--dry-run"]) == 0
    after = message_from_bytes((folder / "digest-2025-12-06.eml").read_bytes(), policy=policy.default)
    text = after.get_body(("plain",)).get_content()
    assert "【报送已截止 71 天，转入总结】" in text
    assert "report --out 科普月活动总结.docx" in text
    assert re.search(r"12月6日 10:00 \S+《.*》：期后更正", text)

    from pipeline.outbound.digest import outside_period, submissions_per_day

    days = submissions_per_day(data, date(2025, 9, 1), date(2025, 9, 30))
    assert (days[0][0], days[-1][0], len(days)) == (date(2025, 9, 1), date(2025, 9, 30), 30)
    assert outside_period(data, date(2025, 9, 1), date(2025, 9, 30)) == "期后收到1封（未画入）"
    chart = next(p for p in after.walk() if p.get_content_type() == "image/png").get_payload(decode=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "chart-after-december-correction.png").write_bytes(chart)


def test_the_units_own_platform_column_read_from_a_libreoffice_workbook():
    """A unit's table with a 是否在平台填报 column, written by LibreOffice from CSV: what each row says there
    reaches the shortlist's platform share (expected values by hand)."""
    import lobuild as lo

    from parsers.read_file import extract_file
    from parsers.values import normalize_activity
    from pipeline.reporting.shortlist import declared_platform

    if not lo.available():
        missing_tool("soffice is missing: apt-get install libreoffice-calc-nogui")
    rows = [["序号", "活动名称", "活动时间", "活动地点", "参与人数", "是否在平台填报"],
            [1, "人工智能科普讲座", "2025年9月12日", "第一小学", "300", "是"],
            [2, "防震减灾进社区", "2025年9月15日", "幸福社区", "150", "否"],
            [3, "科普大篷车下乡", "2025年9月20日", "王庄村", "500", ""]]
    xlsx = lo.convert({"活动表.csv": lo.csv_text(rows)}, "xlsx", lo.IMPORT["csv"])["活动表.csv"]
    [result] = extract_file("活动表.xlsx", xlsx)
    said = [declared_platform(normalize_activity(a).raw.get("platform")) for a in result.activities]
    assert said == [True, False, None]
