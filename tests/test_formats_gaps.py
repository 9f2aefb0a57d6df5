"""Gaps the accuracy corpus revealed: stamped PDF copies, .rar/.7z, 超大附件 links with "?" in the URL."""
from parsers.parsed import Envelope, FileResult
from parsers.read_file import extract_file
from parsers.read_mail import mark_copies
from parsers.values import parse_dates
from pipeline.judge.classify import classify

TEXT = "唐山市路南区科协2025年全国科普月活动总结。一、活动开展情况：全国科普月期间，组织开展重点科普活动十二项。" * 3


def test_stamped_pdf_beside_its_word_file_is_a_copy():
    word = FileResult("路南区科普月总结.docx", "docx", "parsed", text=TEXT)
    stamped = FileResult("路南区科普月总结（盖章版）.pdf", "pdf", "parsed", text=TEXT[:150])
    scan = FileResult("路南区科普月总结（盖章扫描件）.pdf", "pdf", "parsed", is_scan=True)
    other = FileResult("通知.pdf", "pdf", "parsed", text="关于开展2025年全国科普月活动的通知，各单位：请按要求报送材料。" * 4)
    files = [word, stamped, scan, other]
    mark_copies(files)
    assert stamped.copy_of == word.name and "副本" in stamped.notes[-1]
    assert scan.copy_of == word.name
    assert other.copy_of is None and not other.notes


def test_rar_and_7z_are_skipped_with_a_reason():
    for name, data in (("材料.rar", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 64),
                       ("材料.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 64)):
        [result] = extract_file(name, data)
        assert result.status == "skipped" and "RAR/7z" in result.error


def _env(text: str, links: list[str]) -> Envelope:
    return Envelope(message_id="<a@b>", subject="路南区科普月总结", from_addr="12345@qq.com", from_name="张三",
                    text=text, oversize_links=links)


def test_oversize_link_is_a_submission_even_with_a_query_string():
    url = "https://wx.mail.qq.com/ftn/download?func=3&k=abc"
    verdict = classify(_env(f"材料较大，请下载查收。\n从QQ邮箱发来的超大附件\n进入下载页面：{url}", [url]),
                       {"tskxpjb@126.com"}, set(), "summary-mailbox")
    assert verdict.is_submission


def test_a_url_query_is_not_a_question():
    verdict = classify(_env("路南区科普月活动总结见附件网盘 https://pan.example.com/s?id=1", []),
                       {"tskxpjb@126.com"}, set(), "summary-mailbox")
    assert verdict.kind != "question"


def test_excel_float_dates():
    assert parse_dates(9.1).flag == "ambiguous" and parse_dates(9.3).flag == "ambiguous"
    assert parse_dates(9.15).start.isoformat() == "2025-09-15"
    assert parse_dates(9.4).start.isoformat() == "2025-09-04"  # 9.40 cannot be a date
    assert parse_dates("45915").start.isoformat() == "2025-09-15"  # a serial number stored as text
