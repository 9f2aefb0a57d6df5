"""The season-end pages in a real browser (Debian's headless Chromium driven by selenium) on the demo
season (seed 7) polled from a Maildir: the overview leads with the season's end (the deadline is long
past), the 拟表扬 page shows each score's evidence and keeps the ticks (audited), the narratives page
gathers 典型案例 and grouped 意见建议, a unit's page shows its 总结要点. Screenshots go to
bench/out/console/ (copies in docs/console/)."""
import json
import re
import threading
from pathlib import Path

import pytest
from browser import shot, wait  # first: it skips (fails under CI) without Chromium
from selenium.webdriver.common.by import By  # noqa: E402

from run import main
from samples import generate


@pytest.fixture
def console(tmp_path, monkeypatch):
    from pipeline.config import load_config
    from pipeline.runtime.console.server import make_server
    from pipeline.runtime.demo import write_season

    config_path = write_season(tmp_path, generate(seed=7))
    assert main(["--config", str(config_path), "poll"]) == 0
    monkeypatch.delenv("SUMMARY_CONSOLE_PASSWORD", raising=False)
    server = make_server(load_config(config_path), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    yield server.url, config_path
    server.close()


def _export(config_path: Path) -> dict:
    out = config_path.parent / "export.json"
    assert main(["--config", str(config_path), "export", "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_office_closes_the_season_in_the_browser(console, browser):  # poll before chromium starts (memory budget)
    url, config_path = console
    data = _export(config_path)
    browser.get(url + "shortlist")
    browser.find_element(By.NAME, "name").send_keys("王老师")
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    wait(browser, 20).until(lambda d: "/login" not in d.current_url)

    # the shortlist: every submitted unit, each criterion with its evidence
    rows = browser.find_elements(By.CSS_SELECTOR, "#unit-candidates tbody tr")
    assert len(rows) == sum(u["submitted"] for u in data["units"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#activity-candidates tbody tr")) == len(data["activities"])
    first = rows[0].text
    assert "组织动员有力" in first and "亮点特色突出" in first and "服务基层有效" in first
    assert re.search(r"报送重点活动\d+项，应报\d+项", first) and "《" in first  # names its activities
    picked = [rows[0].get_attribute("data-unit"), rows[2].get_attribute("data-unit")]
    rows[0].find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    rows[2].find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    browser.find_element(By.CSS_SELECTOR, "#activity-candidates tbody tr input[type=checkbox]").click()
    browser.find_element(By.ID, "save-picks").click()
    wait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash"))
    assert "选入3个" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    assert browser.find_element(By.ID, "picked-units").text == "2"
    assert browser.find_element(By.ID, "picked-activities").text == "1"
    checked = [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "input[name=unit]:checked")]
    assert sorted(checked) == sorted(picked)
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "shortlist", height=1600)

    # un-tick one: recorded too
    browser.find_element(By.CSS_SELECTOR, f"input[name=unit][value='{picked[1]}']").click()
    browser.find_element(By.ID, "save-picks").click()
    wait(browser, 60).until(lambda d: "移出1个" in d.find_element(By.CSS_SELECTOR, ".flash").text)
    browser.get(url + "log")
    done = [(r.find_elements(By.TAG_NAME, "td")[1].text, r.find_elements(By.TAG_NAME, "td")[2].text)
            for r in browser.find_elements(By.CSS_SELECTOR, "#audit tbody tr")]
    assert sorted(done) == [("网页:王老师", "移出拟表扬")] + [("网页:王老师", "选入拟表扬")] * 3

    # the narratives: all 典型案例 attributed, suggestions grouped
    browser.get(url + "narratives")
    cases = browser.find_elements(By.CSS_SELECTOR, "#cases .item")
    assert len(cases) >= 20
    themes = [e.text.split()[0] for e in browser.find_elements(By.CSS_SELECTOR, "#suggestions .theme h2")]
    assert "经费" in themes
    shot(browser, "narratives", height=1600)

    # a unit's page: its 工作成效, 典型案例, 意见建议
    browser.get(url + f"units/{picked[0]}")
    narrative = browser.find_element(By.ID, "narrative").text
    assert "工作成效" in narrative and "典型案例" in narrative and "意见建议" in narrative
    assert "尚无可读取的总结" not in narrative
    shot(browser, "unit-narrative")

    # the overview leads with the season's end: the report, the shortlist, mail after the deadline
    browser.get(url)
    end = browser.find_element(By.ID, "season-end")
    assert "报送已截止" in end.text and "下载总结草稿" in end.text and "已选 1 个单位、1 项活动" in end.text
    late = [m for m in data["messages"] if m["late"] and m["unit_id"] and m["status"] != "ignored"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#late-mail li.late-item")) == len(late)
    shot(browser, "overview-season-end", height=1000)
    link = browser.find_element(By.LINK_TEXT, "下载总结草稿（Word）").get_attribute("href")
    assert link == url + "report.docx"
