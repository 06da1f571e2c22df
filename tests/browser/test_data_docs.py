"""The Great Expectations data docs of the session's build, in headless Chromium with the network
off, from a copy of part of the data docs folder (as if zipped and opened elsewhere): the landing
page, a suite's GX pages and its latest validation load nothing but local files, every file they
load exists, Bootstrap styles the pages, their scripts run and Font Awesome's font is loaded."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from tests.browser.conftest import screenshot, wait_for

SUITE = "marts.fct_ca_service"


@pytest.fixture(scope="module")
def data_docs(built_warehouse, tmp_path_factory):
    docs = built_warehouse.parent / "data_docs"
    assert (docs / SUITE / "index.html").is_file(), f"no data docs of {SUITE} in {docs}"
    assert (docs / "_static").is_dir(), f"{docs} has no _static/ (data docs made before they were offline?)"
    copy = tmp_path_factory.mktemp("docs") / "data_docs"
    for name in ("_static", SUITE):
        shutil.copytree(docs / name, copy / name)
    shutil.copy2(docs / "index.html", copy / "index.html")
    return copy


def _offline(browser) -> None:
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    browser.get_log("performance")  # drop the browser's own start-up requests


def _open(browser, page) -> tuple[list[str], list[str]]:
    """Load a page; the URLs it requested and those whose load failed."""
    browser.get(page.resolve().as_uri())
    wait_for(lambda: browser.execute_script("return document.readyState") == "complete")
    time.sleep(0.5)  # fonts and late script requests
    requested, failed = [], []
    ids: dict[str, str] = {}
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            ids[message["params"]["requestId"]] = url
            if not url.startswith(("chrome:", "chrome-untrusted:", "chrome-extension:")):
                requested.append(url)
        elif message["method"] == "Network.loadingFailed":
            failed.append(ids.get(message["params"]["requestId"], "?"))
    return requested, failed


def test_the_data_docs_load_offline_and_are_styled(browser, data_docs):
    from selenium.webdriver.common.by import By

    _offline(browser)
    requested, failed = _open(browser, data_docs / "index.html")
    assert all(u.startswith(("file:", "data:")) for u in requested), requested
    assert not failed, failed
    screenshot(browser, "data_docs_index")
    browser.find_element(By.LINK_TEXT, SUITE).click()  # the landing page links the suite's site

    site = data_docs / SUITE
    fonts_loaded: set[str] = set()
    validation = sorted((site / "validations").rglob("*.html"))[-1]
    for name, page in (("suite", site / "index.html"),
                       ("expectations", next((site / "expectations").rglob("*.html"))),
                       ("validation", validation)):
        requested, failed = _open(browser, page)
        external = [u for u in requested if not u.startswith(("file:", "data:"))]
        assert not external, f"{name} page requested {external}"
        assert not failed, f"{name} page could not load {failed}"
        local = [u for u in requested if "/_static/" in u]
        assert any(u.endswith("/bootstrap.min.css") for u in local), requested
        fonts_loaded.update(u for u in local if u.endswith(".woff2"))

        # Bootstrap 4's .navbar is a centred flex box with padding (unstyled: block, normal, 0px)
        navbar = browser.execute_script(
            "const s = getComputedStyle(document.querySelector('.navbar'));"
            "return [s.display, s.alignItems, s.paddingTop];")
        assert navbar == ["flex", "center", "8px"], f"{name} page: .navbar not styled by Bootstrap: {navbar}"
        assert browser.execute_script(
            "return typeof jQuery === 'function' && typeof jQuery.fn.bootstrapTable === 'function'"
            " && typeof jQuery.fn.tooltip === 'function' && typeof vegaEmbed === 'function'"), name
        icons, loaded = browser.execute_script(
            "return [document.querySelectorAll('i.fas, i.far, i.fa').length,"
            " [...document.fonts].filter(f => f.family.includes('Font Awesome') && f.status === 'loaded')"
            ".length];")
        assert loaded or not icons, f"{name} page: {icons} icons and no Font Awesome font loaded"
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, f"{name} page: {errors}"
        screenshot(browser, f"data_docs_{name}")
    assert fonts_loaded, "no page loaded Font Awesome's webfonts from _static/"
