"""The interactive matrix page of the session's build, in headless Chromium with the network off:
it loads from disk, requests nothing but itself, and shows every service (a point for each one
that can be placed, a row for every one); hover, search and the legend work."""

from __future__ import annotations

import json
import time

import duckdb
import pytest

from tests.browser.conftest import screenshot


@pytest.fixture(scope="module")
def page_and_services(built_warehouse):
    page = built_warehouse.parent / "exports" / "latest" / "charts" / "matrix.html"
    assert page.is_file(), f"no matrix page at {page}"
    with duckdb.connect(str(built_warehouse.parent / "published" / "atlas.duckdb"), read_only=True) as con:
        rows = con.execute(
            """SELECT service_key || '|' || fiscal_year,
                      headline_probability IS NOT NULL AND coalesce(value_gross, 0) > 0
               FROM scoring.fct_service_automation_summary"""
        ).fetchall()
    return page, {k for k, _ in rows}, {k for k, placed in rows if placed}


def _wait(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the page")


def test_the_matrix_page_loads_offline_and_shows_every_service(browser, page_and_services):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page, services, placed = page_and_services
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    browser.get_log("performance")  # drop the browser's own start-up requests
    browser.get(page.resolve().as_uri())
    _wait(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))

    requested = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in browser.get_log("performance")
        if '"Network.requestWillBeSent"' in entry["message"]
    ]
    requested = [u for u in requested if not u.startswith(("chrome:", "chrome-untrusted:"))]
    assert requested and all(u.startswith(("file:", "data:")) for u in requested), requested
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors

    circles = browser.execute_script(
        "return Array.from(document.querySelectorAll('circle.svc')).map(c => c.dataset.key)")
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#services tbody tr')).map(r => r.dataset.key)")
    assert set(rows) == services and len(rows) == len(services)
    assert set(circles) == placed and len(circles) == len(placed)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.panel")) == 2  # one panel per country
    screenshot(browser, "matrix_page")

    # hovering a point shows that service
    circle = browser.execute_script("""
        for (const c of document.querySelectorAll('circle.svc')) {
          c.scrollIntoView({block: 'center'});
          const box = c.getBoundingClientRect();
          // WebDriver moves the pointer to the whole pixel of the centre: that pixel must be c's
          const x = Math.floor(box.x + box.width / 2), y = Math.floor(box.y + box.height / 2);
          if (document.elementFromPoint(x, y) === c) return c;
        }
        return null;""")  # a point no other point or line covers where the pointer lands
    assert circle is not None
    ActionChains(browser).move_to_element(circle).perform()
    tooltip = browser.find_element(By.ID, "tooltip")
    _wait(lambda: tooltip.is_displayed())
    name = browser.execute_script(
        "const d = JSON.parse(document.getElementById('atlas-data').textContent)"
        ".find(x => x.key === arguments[0]); return d.service_name;", circle.get_attribute("data-key"))
    assert name in tooltip.text
    screenshot(browser, "matrix_page_tooltip")

    # the search box narrows the table
    search = browser.find_element(By.ID, "search")
    search.send_keys("passport")
    shown = int(_wait(lambda: browser.find_element(By.ID, "shown").text))
    assert 0 < shown < len(services)

    # the legend hides an archetype's points
    search.clear()
    search.send_keys(" ")
    archetype = circle.get_attribute("data-archetype")
    button = browser.find_element(By.CSS_SELECTOR, f'.legend-item[data-archetype="{archetype}"]')
    browser.execute_script("arguments[0].click()", button)
    assert button.get_attribute("aria-pressed") == "false"
    hidden = browser.execute_script(
        "return document.querySelectorAll('circle.svc.hidden[data-archetype=\"' + arguments[0] + '\"]').length",
        archetype)
    assert hidden > 0 and hidden == len(browser.find_elements(
        By.CSS_SELECTOR, f'circle.svc[data-archetype="{archetype}"]'))
