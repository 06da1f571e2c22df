"""Headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, started by the
tests themselves. In CI (CI=true) a missing browser fails the tests; elsewhere they are skipped.
Screenshots go to test-artifacts/browser/ (ATLAS_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ingestion.settings import artifacts_dir
from tests.conftest import skip_or_fail

ARTIFACTS = artifacts_dir() / "browser"
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1600,1000",
)


def _missing(reason: str):
    skip_or_fail(f"{reason}; .ci/run installs it with apt-get install chromium chromium-driver")


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """Paths of the Chromium binary and its driver."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        _missing("Chromium or chromedriver not installed (apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        _missing("selenium is not installed (it is in requirements.lock)")
    return browser, driver


@pytest.fixture()
def browser(chromium, tmp_path):
    """A fresh headless Chromium with its own profile; performance logs on (to see every request)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium Manager: no telemetry
    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromium[1]), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def wait_for(predicate, timeout: float = 30.0):
    """The first truthy value of `predicate()`, polled every 0.2 s; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the page")
