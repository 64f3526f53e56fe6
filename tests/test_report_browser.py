"""The report in a real browser: headless Chromium (Debian's ``chromium`` + ``chromium-driver``).

Opens the index and one claim page: no console errors, every image loaded (natural width > 0), the
verdict text present; a screenshot of each page is kept in the test's temporary directory. The
driver is the system's ``/usr/bin/chromedriver`` (selenium never downloads one). Without them the
test skips with one line saying how to get them (``make test`` installs them as root or with sudo).
"""

import os
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from claim_fixtures import ReportToyClaim  # noqa: F401  (registers the toy claims)
from neuralab.claims import run_claim
from neuralab.report import build_report
from neuralab.store import RunStore

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1600")


BROWSER_MISSING = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]


@pytest.fixture
def browser(tmp_path):
    if BROWSER_MISSING:
        pytest.skip(f"no headless Chromium ({', '.join(BROWSER_MISSING)} not found): run "
                    "`apt-get install chromium chromium-driver` as root, or `make test` as root "
                    "or with passwordless sudo, to run the report's browser test")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser, path, shot):
    browser.get(path.as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    widths = browser.execute_script(
        "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
    browser.save_screenshot(str(shot))
    return errors, widths, browser.find_element("tag name", "body").text


def test_report_in_headless_chromium(browser, tmp_path):
    store = RunStore(tmp_path / "runs")
    run_claim("report_toy_claim", "full", store=store)
    index = build_report(store, tmp_path / "site")

    errors, widths, text = _open(browser, index, tmp_path / "index.png")
    assert errors == [] and widths == []
    assert "report_toy_claim" in text and "reproduced" in text and "not run" in text

    errors, widths, text = _open(browser, tmp_path / "site" / "claims" / "report_toy_claim.html",
                                 tmp_path / "claim.png")
    assert errors == []
    assert len(widths) == 3 and all(w > 0 for w in widths)  # the rule for each of 2 parts, curves
    assert "Verdict: reproduced" in text and "a minus b accuracy" in text
    assert (tmp_path / "index.png").stat().st_size > 0 and (tmp_path / "claim.png").stat().st_size > 0
