"""The interactive matrix page of the session's build, in headless Chromium with the network off:
it loads from disk, requests nothing but itself, and shows every service (a point for each one
that can be placed, a row for every one); hover, search and the legend work; each corner gives its
quadrant's number of services; the services without a value are apart (strip and table, with
their reason, unranked); the labels of the first services are in rank order and, as the browser
lays them out, overlap nothing; the page formats money as reporting.matrix.money does."""

from __future__ import annotations

import json

import duckdb
import pytest

from reporting.matrix import money
from tests.browser.conftest import screenshot, wait_for


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


def test_the_matrix_page_loads_offline_and_shows_every_service(browser, page_and_services):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page, services, placed = page_and_services
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    browser.get_log("performance")  # drop the browser's own start-up requests
    browser.get(page.resolve().as_uri())
    wait_for(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))

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
    wait_for(lambda: tooltip.is_displayed())
    name = browser.execute_script(
        "const d = JSON.parse(document.getElementById('atlas-data').textContent)"
        ".find(x => x.key === arguments[0]); return d.service_name;", circle.get_attribute("data-key"))
    assert name in tooltip.text
    screenshot(browser, "matrix_page_tooltip")

    # the search box narrows the table
    search = browser.find_element(By.ID, "search")
    search.send_keys("passport")
    shown = int(wait_for(lambda: browser.find_element(By.ID, "shown").text))
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


@pytest.fixture(scope="module")
def published_summary(built_warehouse):
    with duckdb.connect(str(built_warehouse.parent / "published" / "atlas.duckdb"), read_only=True) as con:
        return con.sql(
            """SELECT service_key || '|' || fiscal_year AS key, country_code, quadrant, priority_rank,
                      headline_probability, value_gross, value_null_reason
               FROM scoring.fct_service_automation_summary"""
        ).pl()


def _open(browser, page):
    browser.get(page.resolve().as_uri())
    wait_for(lambda: browser.execute_script("return document.body.dataset.ready === 'true'"))


def test_each_corner_gives_its_quadrants_number_of_services(browser, page_and_services, published_summary):
    page, _, _ = page_and_services
    _open(browser, page)
    shown = browser.execute_script("""
        return Array.from(document.querySelectorAll('svg.panel text.quadrant')).map(t => [
          t.closest('svg').dataset.country, t.dataset.quadrant, Number(t.dataset.count), t.textContent]);""")
    assert len(shown) == 8  # four corners, two countries
    for country, quadrant, count, text in shown:
        expected = published_summary.filter(
            (published_summary["country_code"] == country) & (published_summary["quadrant"] == quadrant)).height
        assert count == expected, (country, quadrant)
        assert text.endswith(f"{expected:,} service{'' if expected == 1 else 's'}"), text
    assert "unscored" not in browser.page_source


def test_services_without_a_value_are_apart_with_their_reason_and_unranked(browser, page_and_services,
                                                                          published_summary):
    import polars as pl
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page, _, _ = page_and_services
    _open(browser, page)
    missing = published_summary.filter(pl.col("value_gross").is_null())
    assert (missing["quadrant"] == "no_value").all() and missing["priority_rank"].null_count() == missing.height
    rows = browser.execute_script("""
        return Array.from(document.querySelectorAll('#no-value tbody tr')).map(r => [
          r.dataset.key, r.querySelector('td.reason').textContent]);""")
    assert sorted(k for k, _ in rows) == sorted(missing["key"].to_list())
    reasons = dict(zip(missing["key"].to_list(), missing["value_null_reason"].to_list(), strict=True))
    for key, text in rows:
        assert text == f"no value: {reasons[key]}"
    strip = browser.execute_script(
        "return Array.from(document.querySelectorAll('.no-value-strip circle.novalue')).map(c => c.dataset.key)")
    assert sorted(strip) == sorted(missing.filter(pl.col("headline_probability").is_not_null())["key"].to_list())
    # in the table of every service they have no rank
    ranks = browser.execute_script("""
        return Array.from(document.querySelectorAll('#services tbody tr')).filter(r => arguments[0].includes(r.dataset.key))
          .map(r => r.children[1].textContent);""", missing["key"].to_list())
    assert ranks == [""] * missing.height
    if strip:
        circle = browser.execute_script("""
            for (const c of document.querySelectorAll('circle.novalue')) {
              c.scrollIntoView({block: 'center'});
              const box = c.getBoundingClientRect();
              const x = Math.floor(box.x + box.width / 2), y = Math.floor(box.y + box.height / 2);
              if (document.elementFromPoint(x, y) === c) return c;
            }
            return null;""")  # one that no neighbour covers where the pointer lands
        assert circle is not None
        key = circle.get_attribute("data-key")
        ActionChains(browser).move_to_element(circle).perform()
        tooltip = browser.find_element(By.ID, "tooltip")
        wait_for(lambda: tooltip.is_displayed())
        assert f"no value: {reasons[key]}" in tooltip.text and "not ranked" in tooltip.text
        screenshot(browser, "matrix_page_no_value")


def test_the_labels_name_the_first_services_in_rank_order_and_overlap_nothing(browser, page_and_services,
                                                                             published_summary):
    import polars as pl

    page, _, _ = page_and_services
    _open(browser, page)
    panels = browser.execute_script("""
        const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
        return Array.from(document.querySelectorAll('svg.panel')).map(s => [s.dataset.country,
          Array.from(s.querySelectorAll('g.callout')).map(g => [g.dataset.key, Number(g.dataset.rank),
            box(g.querySelector('rect')), box(g.querySelector('text')), g.querySelector('text').textContent])]);""")
    for country, callouts in panels:
        first = (published_summary.filter((pl.col("country_code") == country) & pl.col("priority_rank").is_not_null()
                                          & (pl.col("value_gross") > 0))
                 .sort("priority_rank").head(len(callouts)))
        assert len(callouts) == min(6, first.height), country
        assert [c[1] for c in callouts] == list(range(1, len(callouts) + 1))  # rank order, 1 first
        assert [c[0] for c in callouts] == first["key"].to_list()
        for _, rank, rect, text, content in callouts:
            assert content.startswith(f"{rank}. ")
            # the text as the browser laid it out stays inside its box
            assert rect[0] - 0.5 <= text[0] and text[2] <= rect[2] + 0.5, (country, content)
            assert rect[1] - 0.5 <= text[1] and text[3] <= rect[3] + 0.5, (country, content)
        boxes = [c[2] for c in callouts]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (country, a, b)
    screenshot(browser, "matrix_page_labels")


def test_the_page_formats_money_as_the_png_does(browser, page_and_services):
    page, _, _ = page_and_services
    _open(browser, page)
    values = [0.0, 0.004, 0.6, 1.0, 5.123, 512.4, 999.6, 1234.0, 45_300.0, 400_000.0, 999_950.0,
              790_600_000.0, 1.2e9, 1.234e12, -5000.0]
    got = browser.execute_script("return arguments[0].map(v => money(v)).concat([money(null)])", values)
    assert got == [money(v) for v in values] + ["n/a"]
    text = browser.execute_script("""
        const c = document.querySelector('circle.svc.top'); c.scrollIntoView({block: 'center'});
        c.dispatchEvent(new MouseEvent('mousemove', {clientX: 10, clientY: 10, bubbles: true}));
        return document.getElementById('tooltip').textContent;""")
    assert "0.00 " not in text and "gross value " in text
