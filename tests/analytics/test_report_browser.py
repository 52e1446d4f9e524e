"""The HTML report renders in a real browser: headless Chromium loads it with no console errors and every
chart draws. CI installs Debian's chromium and chromium-driver; without them the test skips, saying why
(with LIANDONG_REQUIRE_BROWSER=1, as in CI, it fails instead)."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from click.testing import CliRunner

from cli import main

from .conftest import KEY

ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": KEY.decode()}


def _browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (chromium and driver):
        reason = "no chromium/chromedriver (apt-get install chromium chromium-driver, or run bash .ci/run)"
        if os.environ.get("LIANDONG_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def test_report_renders_in_chromium(tiny_world, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner(env=ENV).invoke(
        main, ["--workspace", str(tiny_world.workspace), "export", "report", "--out", str(out), "--as-of", "2024-12-31"]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    # Self-contained: plotly.js is inline, no script is fetched from the network.
    assert "<script" in text and not re.search(r"<script[^>]+src=", text)
    browser = _browser()
    try:
        from selenium.webdriver.common.by import By

        browser.get(out.resolve().as_uri())
        charts = browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")
        assert len(charts) == 6
        assert all(chart.find_elements(By.CSS_SELECTOR, ".main-svg") for chart in charts), "a chart did not draw"
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        browser.quit()
