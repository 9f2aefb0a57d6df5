"""Confirming proposals in a real browser (Debian's headless Chromium driven by selenium): the review page
shows the rows read from a prose-only Word report beside their paragraphs; a person corrects a cell and
clicks 确认计入; the export then counts them. Screenshots go to bench/out/console/ (review-proposals*.png; a copy
of each is in docs/console/)."""
import sqlite3
import threading

from admin_helpers import export, write_config
from browser import shot, wait  # first: it skips (fails under CI) without Chromium
from test_proposals import EXPECTED, UNIT, _mail, _registry, report_docx  # noqa: F401  (a fixture)

from run import main


def test_a_person_confirms_proposals_in_the_browser(browser, report_docx, imap_account, smtp_sink,  # noqa: F811
                                                     tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By

    from pipeline.config import load_config
    from pipeline.runtime.console.server import make_server

    imap_account.append_many([_mail(report_docx, UNIT.email, "<prose-1@lunan.cn>")])
    config = write_config(tmp_path, imap_account, smtp_sink, _registry(), monkeypatch)
    assert main(["--config", str(config), "poll"]) == 0
    monkeypatch.delenv("SUMMARY_CONSOLE_PASSWORD", raising=False)
    server = make_server(load_config(config), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        browser.get(server.url + "review")
        browser.find_element(By.NAME, "name").send_keys("李老师")
        browser.find_element(By.CSS_SELECTOR, "#login button").click()
        wait(browser, 20).until(lambda d: "/login" not in d.current_url)

        # the rows beside the paragraphs they were read from
        box = browser.find_element(By.CSS_SELECTOR, ".proposals[data-message='<prose-1@lunan.cn>']")
        rows = box.find_elements(By.CSS_SELECTOR, ".proposal")
        assert [r.find_element(By.NAME, f"cell-{n}-title").get_attribute("value")
                for n, r in enumerate(rows, 1)] == [e["title"] for e in EXPECTED]
        evidence = rows[0].find_element(By.CSS_SELECTOR, "blockquote").text
        assert "在友谊街道社区开展‘科普进社区’活动" in evidence
        assert rows[1].find_element(By.NAME, "cell-2-date").get_attribute("value") == "2025-09-18至2025-09-19"
        shot(browser, "review-proposals")

        # correct a cell, then 确认计入
        cell = rows[2].find_element(By.NAME, "cell-3-participants")
        cell.clear()
        cell.send_keys("250")
        box.find_element(By.CSS_SELECTOR, "form.confirm-proposals button").click()
        wait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash"))
        assert "确认计入：这些活动现在计入该单位" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
        assert not browser.find_elements(By.CSS_SELECTOR, ".proposals")
        shot(browser, "review-proposals-confirmed")

        # the export counts them, with the corrected cell; the unit meets its quota
        data = export(config, tmp_path, "after.json")
        assert [(a["title"], a["participants"]) for a in data["activities"]] == \
            [(e["title"], 250 if n == 3 else e["participants"]) for n, e in enumerate(EXPECTED, 1)]
        assert data["units"][0]["reported"] == 3 and data["units"][0]["met"] is True

        # on record, with who did it and the correction
        browser.get(server.url + "log")
        assert "网页:李老师" in browser.page_source and "确认计入" in browser.page_source
        with sqlite3.connect(tmp_path / "var" / "ledger.sqlite3") as db:
            [(detail,)] = db.execute("SELECT detail FROM audit WHERE action='confirm_proposals'").fetchall()
        assert "3.participants=250" in detail
        shot(browser, "review-proposals-audit")
        browser.get(server.url + f"units/{UNIT.unit_id}")
        assert "健康科普大讲堂" in browser.page_source
        shot(browser, "review-proposals-unit")
    finally:
        server.close()
