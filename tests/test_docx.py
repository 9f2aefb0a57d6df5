"""read_docx on generated summaries, hand-edited XML and the real-world corpus."""
from __future__ import annotations

import io
import os
import zipfile

import docx
import officebuild as ob
import pytest
from corpus import CORPUS as _ROOT
from docx.enum.text import WD_ALIGN_PARAGRAPH

from parsers import docx as wordreader
from parsers.docx import DocxContent, DocxError, read_docx

CORPUS = _ROOT / "office"
WORD_EXTS = {".docx", ".docm", ".doc", ".wri", ".ooxml", ".zip"}
TRANSITIONAL = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STRICT = b"http://purl.oclc.org/ooxml/wordprocessingml/main"


def corpus_file(name: str) -> bytes:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus file {path} not available (the project stands alone without ../shared)")
    return path.read_bytes()


def save(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def with_body_xml(snippet: str) -> bytes:
    """A python-docx document with raw WordprocessingML inserted before the section properties."""
    return ob.replace_part(save(docx.Document()), "word/document.xml",
                           lambda xml: xml.replace(b"<w:sectPr", snippet.encode() + b"<w:sectPr", 1))


@pytest.fixture(scope="module")
def summary() -> DocxContent:
    return read_docx(ob.summary_docx())


def test_title_skips_the_attachment_label(summary):
    assert summary.title == ob.SUMMARY_TITLE


def test_paragraphs_are_body_text_only(summary):
    assert summary.paragraphs[:2] == ["附件1", ob.SUMMARY_TITLE]
    assert "一、基本情况" in summary.paragraphs
    assert not any("科普讲座进社区" in p for p in summary.paragraphs)  # table text stays in tables


def test_narrative_sections(summary):
    n = summary.narrative
    assert list(n) == ["一、基本情况", "二、主要做法", "（一）加强组织领导", "（二）丰富活动形式",
                       "三、工作成效", "四、典型案例", "意见建议"]
    assert n["一、基本情况"] == "全区共开展重点科普活动12场，覆盖人数约1.2万人次。"
    assert n["（一）加强组织领导"] == "区科协成立工作专班，制定活动方案。"  # run-in heading split off
    assert n["三、工作成效"] == "公众科学素质进一步提升。"  # a Heading 1 paragraph
    # the closing signature (unit, date) and the line before the contact table do not belong to it
    assert n["意见建议"] == "建议加大经费支持。"


def test_tables_repeat_merged_cells_like_python_docx(summary):
    activity, contacts = summary.tables
    assert activity[0] == ["重点活动一览表"] * 6  # gridSpan across the whole row
    assert activity[1] == ["序号", "活动名称", "活动时间", "活动地点", "参与人数", "参与人数"]
    assert activity[2] == ["序号", "活动名称", "活动时间", "活动地点", "线上", "线下"]  # vMerge down
    assert activity[-1] == ["合计"] * 4 + ["1200", "800"]
    assert contacts[0] == ["单位", "联系人", "职务", "联系电话"]
    reference = docx.Document(io.BytesIO(ob.summary_docx())).tables[0]
    assert [[c.text for c in r.cells] for r in reference.rows] == activity


def test_nested_table_listed_after_its_parent():
    tables = read_docx(ob.nested_table_docx()).tables
    assert len(tables) == 2
    assert tables[0][0][0].startswith("附：活动列表\n活动名称 活动时间 活动地点")
    assert tables[1] == [["活动名称", "活动时间", "活动地点"], ["科普大篷车", "9月10日", "XX镇"]]


def test_title_by_style_and_by_keyword():
    d = docx.Document()
    d.add_heading("科普月工作亮点", level=0)  # "Title" style
    d.add_paragraph("正文。")
    assert read_docx(save(d)).title == "科普月工作亮点"

    d = docx.Document()
    for line in ("XX县科学技术协会", "关于2025年全国科普月活动开展情况的报告"):
        d.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    d.add_paragraph("根据通知要求，现将情况报告如下。" * 3)
    assert read_docx(save(d)).title == "关于2025年全国科普月活动开展情况的报告"

    d = docx.Document()
    d.add_paragraph("我单位于9月组织开展了多项科普活动，群众参与热情很高，取得了良好效果，特此报告。" * 2)
    assert read_docx(save(d)).title is None


def test_heading_style_and_keyword_sections():
    d = docx.Document()
    d.add_paragraph("活动开展情况")
    d.add_paragraph("开展讲座5场。")
    d.add_heading("亮点工作", level=2)
    d.add_paragraph("首次进入乡村学校。")
    d.add_paragraph("1.存在问题：经费不足")
    d.add_paragraph("1.2万人次参与了线上答题。")  # "1.2" is a number, not a heading
    n = read_docx(save(d)).narrative
    assert n == {"活动开展情况": "开展讲座5场。", "亮点工作": "首次进入乡村学校。",
                 "1.存在问题": "经费不足\n1.2万人次参与了线上答题。"}


def test_strict_ooxml():
    def strict(xml: bytes) -> bytes:
        return xml.replace(TRANSITIONAL, STRICT)

    data = ob.replace_part(ob.summary_docx(), "word/document.xml", strict)
    data = ob.replace_part(data, "word/styles.xml", strict)
    data = ob.replace_part(data, "_rels/.rels", lambda x: x.replace(
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"))
    with pytest.raises(KeyError):
        docx.Document(io.BytesIO(data))  # why this reader does not use python-docx
    content = read_docx(data)
    assert content.title == ob.SUMMARY_TITLE
    assert content.narrative["（一）加强组织领导"] == "区科协成立工作专班，制定活动方案。"
    assert content.tables[0][2][4:] == ["线上", "线下"]


def test_main_part_found_through_relationships():
    src = zipfile.ZipFile(io.BytesIO(ob.summary_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            name, data = info.filename, src.read(info)
            if name == "word/document.xml":
                name = "word/main.xml"
            elif name == "word/_rels/document.xml.rels":
                name = "word/_rels/main.xml.rels"
            elif name == "_rels/.rels":
                data = data.replace(b"word/document.xml", b"word/main.xml")
            dst.writestr(name, data)
    assert read_docx(out.getvalue()).title == ob.SUMMARY_TITLE


def test_tracked_changes_text_boxes_and_fields():
    snippet = (
        '<w:p><w:r><w:t>保留</w:t></w:r>'
        '<w:del w:id="1" w:author="a"><w:r><w:delText>删除</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="a"><w:r><w:t>插入</w:t></w:r></w:ins></w:p>'
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing/></mc:Choice>'
        '<mc:Fallback><w:pict><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:pict></mc:Fallback>'
        '</mc:AlternateContent></w:r><w:r><w:t xml:space="preserve">正文 </w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>PAGE</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>3</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        '<w:sdt><w:sdtContent><w:p><w:r><w:t>内容控件里的段落</w:t></w:r></w:p></w:sdtContent></w:sdt>'
    )
    assert read_docx(with_body_xml(snippet)).paragraphs == ["保留插入", "正文 3", "内容控件里的段落"]


def test_entities_are_not_resolved():
    xxe = ob.replace_part(
        with_body_xml("<w:p><w:r><w:t>A&xxe;B&lol3;C</w:t></w:r></w:p>"), "word/document.xml",
        lambda xml: xml.replace(b"<w:document", b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM '
                                b'"file:///etc/passwd"><!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">'
                                b'<!ENTITY lol3 "&lol2;&lol2;&lol2;">]>\n<w:document', 1))
    assert read_docx(xxe).paragraphs == ["ABC"]


def test_vertical_merge_and_grid_before():
    snippet = (
        "<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"
        "<w:tr><w:tc><w:tcPr><w:vMerge w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t>区科协</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:tcPr><w:gridSpan w:val=\"2\"/></w:tcPr><w:p><w:r><w:t>讲座</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc>"
        "<w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:trPr><w:gridBefore w:val=\"1\"/></w:trPr>"
        "<w:tc><w:p><w:r><w:t>c</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>d</w:t></w:r></w:p></w:tc></w:tr>"
        "</w:tbl>"
    )
    assert read_docx(with_body_xml(snippet)).tables == [
        [["区科协", "讲座", "讲座"], ["区科协", "a", "b"], ["", "c", "d"]]]


@pytest.mark.parametrize("data, reason", [
    (b"", wordreader.EMPTY),
    ("这不是Word文件".encode("gbk") * 30, wordreader.NOT_DOCX),
    (b"\x06" + "张三".encode("utf-16-le") + bytes(150), wordreader.NOT_DOCX),  # a "~$总结.docx" lock file
    (os.urandom(3000), wordreader.NOT_DOCX),
    (b"PK\x03\x04" + os.urandom(3000), wordreader.CORRUPT),
])
def test_unreadable_input_gives_a_reason(data, reason):
    with pytest.raises(DocxError) as err:
        read_docx(data)
    assert str(err.value) == reason


def test_truncated_and_wrong_packages():
    data = ob.summary_docx()
    with pytest.raises(DocxError) as err:
        read_docx(data[: len(data) // 2])
    assert str(err.value) == wordreader.CORRUPT
    with pytest.raises(DocxError) as err:
        read_docx(ob.activity_workbook())
    assert str(err.value) == wordreader.NOT_DOCX
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(DocxError) as err:
        read_docx(buf.getvalue())
    assert str(err.value) == wordreader.NOT_DOCX


@pytest.mark.parametrize("name, reason", [
    ("poi__bug53475-password-is-pass.docx", wordreader.ENCRYPTED),  # OLE EncryptedPackage
    ("poi__protected_agile.docx", wordreader.ENCRYPTED),
    ("poi__PasswordProtected.doc", wordreader.ENCRYPTED),  # Word 97 FIB fEncrypted
    ("poi__password_tika_binaryrc4.doc", wordreader.ENCRYPTED),
    ("poi__Word95.doc", wordreader.OLD_DOC),
    ("d2p__~$strict.docx", wordreader.NOT_DOCX),
    ("poi__truncated62886.docx", wordreader.CORRUPT),
])
def test_corpus_failures_have_the_right_reason(name, reason):
    with pytest.raises(DocxError) as err:
        read_docx(corpus_file(name))
    assert str(err.value) == reason


def test_corpus_strict_docx_and_tracked_changes():
    strict = read_docx(corpus_file("d2p__strict.docx"))
    assert strict.paragraphs and strict.tables
    merged = read_docx(corpus_file("pdx__tbl-cell-access.docx"))
    assert len(merged.tables) == 4


def test_every_corpus_word_file_returns_or_raises_docx_error():
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} not available")
    paths = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in WORD_EXTS)
    outcomes = {}
    for path in paths:  # pure Python: nothing here can abort the process
        try:
            read_docx(path.read_bytes())
            outcomes[path.name] = "ok"
        except DocxError as err:
            outcomes[path.name] = str(err)
    assert len(outcomes) == len(paths)
    assert sum(v == "ok" for v in outcomes.values()) >= 30
