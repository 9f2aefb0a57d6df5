"""The acknowledgment for a scan: it tells the unit what was read and that a person checks it, and asks for the
editable table only where reading failed. The files are read for real (OCR of pages made by tests/scanbuild.py:
a stamped scan of a table LibreOffice laid out, a blank page with scanner noise); the words expected are written
by hand."""
import email
import email.policy

import scanbuild as sb
import scantables as st
from lobuild import available as lo_available
from PIL import Image
from test_proposals import UNIT, _decided, ctx  # noqa: F401  (a fixture)

from parsers.parsed import FileResult
from parsers.read_file import extract_file
from pipeline.judge.decide import SCAN_FIX
from pipeline.outbound.replies import build_ack


def _ack_text(ctx, files: list[FileResult]) -> str:  # noqa: F811
    result = _decided(ctx, files)
    result.reply_to, result.reply_allowed = UNIT.email, True
    out = build_ack("k", result, ctx.config, ctx.registry, {})
    assert out is not None
    return email.message_from_bytes(out.raw, policy=email.policy.default).get_body(("plain",)).get_content()


def test_a_read_scan_is_told_and_no_table_is_asked_for(ctx):  # noqa: F811
    if not lo_available():
        from conftest import missing_tool

        missing_tool("LibreOffice (soffice) lays out the table the scan is made of: bash setup.sh --test")
    page = sb.rasterise(sb.table_pdf(st.TABLE_D), 150)
    page = sb.scanned(page, 4, 1.0, seal_at=(int(page.width * 0.5), int(page.height * 0.12)))
    [scan] = extract_file("活动表（盖章扫描件）.pdf", sb.image_pdf([page], dpi=150))
    assert len(scan.proposed) == 2 and scan.proposed[0].page.page == 1
    text = _ack_text(ctx, [scan])
    assert "本邮件没有可直接计入的活动明细表，从扫描件中读出的 2 项活动（见下）经工作人员核对后计入" in text
    assert "本单位目前计入 0 项，按要求应不少于 3 项。" in text  # 2 read, 3 asked: no promise
    assert "【从扫描件读出的活动】" in text and "将由工作人员核对后计入，您无需重新填表" in text
    assert "科普大篷车巡展" in text
    assert "尚差" not in text and SCAN_FIX not in text
    assert "如有活动未列入，请补充活动明细表后回复本邮件" in text  # 2 of 3: what is missing may be added


def test_a_scan_with_nothing_readable_asks_for_the_editable_table(ctx):  # noqa: F811
    blank = sb.noisy(Image.new("RGB", (1240, 1754), "white"), 5)
    [scan] = extract_file("扫描件.pdf", sb.image_pdf([blank], dpi=150))
    assert scan.is_scan and scan.proposed == []
    text = _ack_text(ctx, [scan])
    assert SCAN_FIX in text and "【请您处理】" in text
    assert "工作人员核对" not in text


def test_rows_from_a_picture_in_word_are_said_to_come_from_a_scan_not_the_text(ctx):  # noqa: F811
    from parsers.parsed import PageRef, RawActivity

    row = RawActivity({"title": "科普讲座", "date": "9月15日", "participants": "120"}, source="文档中的图片1第2行",
                      confidence=0.9, evidence="科普讲座 | 9月15日 | 120", page=PageRef("总结.docx", 1))
    result = _decided(ctx, [FileResult("总结.docx", "docx", "parsed", proposed=[row])])
    assert result.reason == "从扫描件中读出1项活动，待人工确认"
