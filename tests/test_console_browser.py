"""The console in a real browser (Debian's headless Chromium driven by selenium) against the real servers:
log in, see the progress, assign a unit to a review item, and see the export and the next digest change.
A screenshot of each page is saved under bench/out/console/ for the closing note."""
import re
import threading
from email import message_from_bytes, policy

import pytest
from admin_helpers import export, load, write_config
from browser import SHOTS, shot, wait  # first: it skips (fails under CI) without Chromium
from selenium.webdriver.common.by import By  # noqa: E402

from run import main
from samples import generate


@pytest.fixture
def console(tmp_path, imap_account, smtp_sink, monkeypatch):
    """A season's mail polled through Dovecot, and the console serving its data dir on a free port."""
    from pipeline.config import load_config
    from pipeline.runtime.console.server import make_server

    sample = generate(seed=11)
    load(imap_account, sample.mails)
    config_path = write_config(tmp_path, imap_account, smtp_sink, sample, monkeypatch)
    assert main(["--config", str(config_path), "poll"]) == 0
    monkeypatch.delenv("SUMMARY_CONSOLE_PASSWORD", raising=False)
    server = make_server(load_config(config_path), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    yield server.url, config_path, sample
    server.close()


def _digest_review_count(config_path, capsys) -> int:
    assert main(["--config", str(config_path), "digest", "--date", "2025-10-31", "--dry-run"]) == 0
    path = re.search(r"written to (\S+)", capsys.readouterr().out).group(1)
    text = message_from_bytes(open(path, "rb").read(), policy=policy.default).get_body(("plain",)).get_content()
    return int(re.search(r"待人工核查（(\d+)）", text).group(1))


def test_an_admin_settles_a_review_item_in_the_browser(browser, console, smtp_sink, tmp_path, capsys):
    url, config_path, sample = console
    before = export(config_path, tmp_path, "before.json")
    digest_before = _digest_review_count(config_path, capsys)
    stranger = next(m for m in sample.mails if m.truth.case == "unknown_unit")
    unit = sample.units[0]

    # nothing without logging in
    browser.get(url + "units")
    assert "/login" in browser.current_url
    shot(browser, "01-login")
    browser.find_element(By.NAME, "name").send_keys("王老师")
    browser.find_element(By.CSS_SELECTOR, "#login button").click()

    wait(browser, 20).until(lambda d: "/login" not in d.current_url)
    assert browser.current_url == url + "units"  # back where it was going

    # the progress: the page's numbers are the export's
    browser.get(url)
    assert browser.find_element(By.ID, "submitted").text == str(sum(u["submitted"] for u in before["units"]))
    assert "分类进度" in browser.page_source and "后台程序" in browser.page_source
    assert browser.execute_script("return document.querySelector('img.chart').naturalWidth") > 0
    shot(browser, "02-overview")
    browser.get(url + "units")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#units tbody tr")) == len(before["units"])
    shot(browser, "03-units")
    browser.find_element(By.LINK_TEXT, unit.name).click()
    assert unit.name in browser.find_element(By.TAG_NAME, "h1").text
    shot(browser, "04-unit")

    # the review queue: assign the stranger's mail to a unit
    browser.get(url + "review")
    assert int(browser.find_element(By.ID, "review-total").text) == digest_before
    shot(browser, "05-review")
    item = next(e for e in browser.find_elements(By.CSS_SELECTOR, ".review-item")
                if e.get_attribute("data-message") == stranger.message_id)
    typed = item.find_element(By.CSS_SELECTOR, "form.assign input[name=unit]")
    typed.clear()
    typed.send_keys(unit.name)  # the name, as an admin types it (the list offers ids with names)
    sent = len(smtp_sink.messages)
    item.find_element(By.CSS_SELECTOR, "form.assign button").click()
    wait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash"))
    assert f"已归属到{unit.name}" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    assert int(browser.find_element(By.ID, "review-total").text) == digest_before - 1
    shot(browser, "06-review-after-assign")

    # the export and the next digest changed; the unit heard back once
    after = export(config_path, tmp_path, "after.json")
    assigned = next(m for m in after["messages"] if m["message_id"] == stranger.message_id)
    assert assigned["unit_id"] == unit.unit_id and assigned["status"] in ("accepted", "superseded")
    assert _digest_review_count(config_path, capsys) == digest_before - 1
    assert smtp_sink.wait_for(sent + 1)[-1].parsed()["In-Reply-To"] == stranger.message_id

    # the action is on record with who did it; the other pages render
    browser.get(url + "log")
    assert "网页:王老师" in browser.page_source and "归属单位" in browser.page_source
    shot(browser, "07-audit")
    browser.get(url + "outbox")
    shot(browser, "08-outbox")
    browser.get(url + "reingest")
    browser.execute_script("document.querySelector('input[name=since]').value='2025-09-20';"
                           "document.querySelector('input[name=until]').value='2025-09-21';")
    browser.find_element(By.CSS_SELECTOR, "form.stack button").click()
    wait(browser, 60).until(lambda d: d.find_element(By.ID, "job-text").get_attribute("data-state") == "done")
    shot(browser, "09-reingest")
    # the phone layout of the overview
    browser.set_window_size(390, 844)
    browser.get(url)
    browser.save_screenshot(str(SHOTS / "10-overview-phone.png"))
