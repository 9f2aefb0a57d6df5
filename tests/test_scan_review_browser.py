"""A stamped scan confirmed in a real browser (Debian's headless Chromium driven by selenium): a mail carrying a
scan of a table LibreOffice laid out (tests/scanbuild.py: 200 dpi, 2° askew, a red seal, noise) goes through
`poll`; the review page shows the scanned page beside the rows read from it (a page that cannot be drawn, a
short note); a person corrects a cell and
clicks 确认计入; the export then counts the rows for the unit and its quota. The page image is drawn once and
then served from data_dir. Screenshots go to bench/out/console/ (review-scan-*.png; copies in docs/console/).
The acknowledgment tells the unit what was read and that a person checks it, and asks for no table."""
import sqlite3
import threading

import pytest
import scanbuild as sb
import scantables as st
from admin_helpers import export, write_config
from browser import shot, wait  # first: it skips (fails under CI) without Chromium
from lobuild import available as lo_available
from mailbuild import b_word, file_part, mail, multipart, text_part
from test_proposals import UNIT, _registry

from run import main

MESSAGE_ID = "<scan-1@lunan.cn>"
SCAN_NAME = "路南区科协活动统计表（盖章扫描件）.pdf"


@pytest.fixture(scope="module")
def scan_mail() -> bytes:
    if not lo_available():
        from conftest import missing_tool

        missing_tool("LibreOffice (soffice) lays out the table the scan is made of: bash setup.sh --test")
    page = sb.rasterise(sb.table_pdf(st.TABLE_A, st.TITLE_A), 200)
    page = sb.scanned(page, 1, 2.0, seal_at=(int(page.width * 0.62), int(page.height * 0.17)))
    body = multipart("mixed", [text_part("您好，附件是我单位科普月活动统计表（盖章扫描件），请查收。"),
                               file_part(sb.image_pdf([page]), "application/pdf",
                                         f'attachment; filename="{b_word(SCAN_NAME)}"')])
    return mail(body, subject=b_word("路南区科协2025年全国科普月活动统计表"), from_=f"{b_word(UNIT.name)} <{UNIT.email}>",
                to="tskxpjb@126.com", message_id=MESSAGE_ID, date="Mon, 22 Sep 2025 10:00:00 +0800")


def test_a_person_confirms_rows_read_from_a_stamped_scan_beside_its_page(browser, scan_mail, imap_account,
                                                                         smtp_sink, tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By

    from pipeline.config import load_config
    from pipeline.runtime.console import page_images
    from pipeline.runtime.console.server import make_server

    imap_account.append_many([scan_mail])
    config = write_config(tmp_path, imap_account, smtp_sink, _registry(), monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0
    before = export(config, tmp_path, "before.json")
    [message] = before["messages"]
    assert message["status"] == "needs_review" and len(message["proposed_activities"]) == 7
    assert before["units"][0]["reported"] == 0

    monkeypatch.delenv("SUMMARY_CONSOLE_PASSWORD", raising=False)
    server = make_server(load_config(config), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        browser.get(server.url + "review")
        browser.find_element(By.NAME, "name").send_keys("李老师")
        browser.find_element(By.CSS_SELECTOR, "#login button").click()
        wait(browser, 20).until(lambda d: "/login" not in d.current_url)

        # the scanned page beside the rows read from it, drawn from the archived mail
        box = browser.find_element(By.CSS_SELECTOR, f".proposals[data-message='{MESSAGE_ID}']")
        [group] = box.find_elements(By.CSS_SELECTOR, ".page-group")
        rows = group.find_elements(By.CSS_SELECTOR, ".proposal")
        assert len(rows) == 7
        assert rows[0].find_element(By.CSS_SELECTOR, ".evidence .small").text.startswith("扫描件第1页第2行")
        image = group.find_element(By.CSS_SELECTOR, "figure.page-image img")
        wait(browser, 120).until(lambda d: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image))
        width, height = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", image)
        assert 600 < max(width, height) <= 1400  # the page cut to its print, at most the console's size
        assert "扫描件第1页" in group.find_element(By.CSS_SELECTOR, "figcaption").text
        assert SCAN_NAME in group.find_element(By.CSS_SELECTOR, "figcaption").text
        assert list((tmp_path / "var" / page_images.CACHE).rglob("*.png"))  # kept for the next request
        shot(browser, "review-scan-proposals")

        # drawn once: the next view of the page is served from data_dir
        drawn = page_images.STATS["renders"]
        browser.execute_cdp_cmd("Network.clearBrowserCache", {})  # the browser asks the console again
        browser.refresh()
        box = browser.find_element(By.CSS_SELECTOR, f".proposals[data-message='{MESSAGE_ID}']")
        image = box.find_element(By.CSS_SELECTOR, "figure.page-image img")
        wait(browser, 30).until(lambda d: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image))
        assert page_images.STATS["renders"] == drawn and page_images.STATS["hits"] >= 1

        # a page that cannot be drawn (the last row said to be on page 9 of a one-page scan): a short note
        with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
            db.execute("UPDATE proposals SET page_no=9 WHERE seq=6")
        for _ in range(2):  # first the note the browser shows, then the reason found out the first time
            browser.refresh()
            groups = browser.find_elements(By.CSS_SELECTOR, ".page-group")
            wait(browser, 60).until(
                lambda d, g=groups[1]: g.find_elements(By.CSS_SELECTOR, ".page-note:not([hidden])"))
            assert not groups[1].find_elements(By.CSS_SELECTOR, "img")
        assert "原件页面无法显示：原件中没有第9页" in groups[1].find_element(By.CSS_SELECTOR, ".page-note").text
        assert len(groups[0].find_elements(By.CSS_SELECTOR, ".proposal")) == 6
        box = browser.find_element(By.CSS_SELECTOR, f".proposals[data-message='{MESSAGE_ID}']")

        # correct a cell (the seal's row, as a person reads it on the page), then 确认计入
        title = {r.find_element(By.NAME, f"cell-{n}-title").get_attribute("value"): n
                 for n, r in enumerate(box.find_elements(By.CSS_SELECTOR, ".proposal"), 1)}
        n = title["防灾减灾知识宣传"]
        cell = box.find_element(By.NAME, f"cell-{n}-participants")
        cell.clear()
        cell.send_keys("460")
        box.find_element(By.CSS_SELECTOR, "form.confirm-proposals button").click()
        wait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash"))
        assert "确认计入：这些活动现在计入该单位" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
        assert not browser.find_elements(By.CSS_SELECTOR, ".proposals")
        shot(browser, "review-scan-confirmed")

        # the export counts the seven rows for the unit, with the corrected cell; the quota (3) is met
        data = export(config, tmp_path, "after.json")
        counted = {a["title"]: a["participants"] for a in data["activities"] if a["unit_id"] == UNIT.unit_id}
        assert counted == {t: (460 if t == "防灾减灾知识宣传" else p) for t, _, _, p in st.TRUTH_A}
        assert (data["units"][0]["reported"], data["units"][0]["met"]) == (7, True)
        with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
            [(detail,)] = db.execute("SELECT detail FROM audit WHERE action='confirm_proposals'").fetchall()
        assert f"{n}.participants=460" in detail
    finally:
        server.close()

    # the acknowledgment: what was read, that a person checks it, and no table asked for
    [ack] = [r for r in smtp_sink.messages if r.parsed()["In-Reply-To"] == MESSAGE_ID]
    text = ack.parsed().get_body(("plain",)).get_content()
    assert "从扫描件读出的活动" in text and "将由工作人员核对后计入" in text and "您无需重新填表" in text
    assert "科普进社区专题讲座（9月15日），300人" in text
    assert "核对计入后即可达到要求" in text and "尚差" not in text
    assert "电子版" not in text and "请补充活动明细表" not in text and "【请您处理】" not in text
