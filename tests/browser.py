"""Debian's headless Chromium driven by selenium, for the console's page tests: one way to start it
(``chromium``, behind the ``browser`` fixture of conftest.py) and one way to keep a screenshot (``shot``, into
bench/out/console/; the ones kept for the closing notes are copied to docs/console/ by hand).

Importing this module skips the importing test module where selenium or Chromium is absent, and fails it
under CI, where ``setup.sh --test`` should have installed them."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from conftest import missing_tool

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parents[1] / "bench" / "out" / "console"
WIDTH, HEIGHT = 1100, 1400

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    missing_tool("pip install selenium (the [test] extra)", module=True)
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    missing_tool("apt-get install chromium chromium-driver for the browser tests", module=True)


def chromium() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={WIDTH},{HEIGHT}", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def shot(driver: webdriver.Chrome, name: str, height: int | None = None) -> Path:
    """The whole page (or its first ``height`` pixels) as SHOTS/name.png; the window is set back after."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    full = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(WIDTH, height or min(max(full + 120, 800), 6000))
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(WIDTH, HEIGHT)
    return path


def wait(driver: webdriver.Chrome, seconds: float) -> WebDriverWait:
    """Wait for a condition on a page that may be navigating meanwhile: an element found in the old page
    and gone from the new one raises (stale element, or Chromium's "Node with given id does not belong to
    the document"), which means "not yet", not a failure."""
    return WebDriverWait(driver, seconds, ignored_exceptions=(WebDriverException,))
