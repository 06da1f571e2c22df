"""The Dagster UI of the project, started as `make dev` starts it (`python -m orchestration dev`:
dagster-webserver on a free port and the dagster daemon) with its own DAGSTER_HOME and a copy of the
session's built warehouse: it loads, shows the asset graph with the marts, and a materialisation
launched by clicking Materialize on a raw asset succeeds."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration import environment
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.conftest import PROJECT_ROOT

RAW_ASSET = "raw/gds__transactions_explorer"
REPOSITORY = "__repository__@orchestration.definitions"
MARTS_SHOWN = (  # names short enough to show untruncated
    "dim_service", "dim_task", "fct_ca_service", "fct_task_exposure", "fct_dwa_task", "dim_occupation",
)
START_TIMEOUT = 300  # dagster dev takes about 20 s on an idle 2-core machine; CI may be busier
RUN_TIMEOUT = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(base: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


@pytest.fixture(scope="module")
def dagster_ui(built_warehouse, mirror, tmp_path_factory):
    """The webserver and the daemon, each in its own process group, on a copy of the built
    warehouse; stopped after."""
    work = tmp_path_factory.mktemp("dagster_ui")
    warehouse = work / "warehouse" / "atlas.duckdb"
    warehouse.parent.mkdir()
    shutil.copy2(built_warehouse, warehouse)
    port = _free_port()
    env = dict(os.environ, ATLAS_WAREHOUSE=str(warehouse), DAGSTER_HOME=str(work / "dagster_home"),
               ATLAS_MIRROR=str(mirror), ATLAS_EXPORTS=str(work / "exports"), DAGSTER_DISABLE_TELEMETRY="1",
               # dagster-dbt's dev-mode parse calls `dbt` from PATH
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    (work / "dagster_home").mkdir()
    # the project's dagster.yaml, as `make dev` writes it: telemetry off, the project's storage
    # (orchestration/storage.py), which the webserver and the daemon use here
    environment.write_dagster_yaml(work / "dagster_home")
    log = (work / "dagster_dev.log").open("w")
    # what `make dev` runs: the launcher starts the webserver and the daemon and stops both on SIGINT
    process = subprocess.Popen([sys.executable, "-m", "orchestration", "dev", "--port", str(port)],
                               cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the Dagster UI exited ({process.returncode}):\n"
                            + (work / "dagster_dev.log").read_text()[-4000:])
            try:
                loaded = _graphql(base, "{ workspaceOrError { ... on Workspace { locationEntries {"
                                        " loadStatus locationOrLoadError { __typename } } } } }")
                entries = loaded["workspaceOrError"]["locationEntries"]
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    errors = [e for e in entries if e["locationOrLoadError"]["__typename"] != "RepositoryLocation"]
                    assert not errors, f"the code location failed to load: {errors}"
                    break
            except (OSError, KeyError, TypeError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("dagster-webserver did not answer in time:\n" + (work / "dagster_dev.log").read_text()[-4000:])
            time.sleep(2)
        yield base, warehouse
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=90)  # the launcher waits up to 20 s for each child, then kills it
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(work / "dagster_dev.log", ARTIFACTS / "dagster_dev.log")


def _wait_for(driver, predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate(driver)
            if value:
                return value
        except Exception:  # the page is still rendering
            pass
        time.sleep(1)
    screenshot(driver, f"timeout_{what.replace(' ', '_')}")
    raise AssertionError(f"timed out waiting for {what}")


def _body(driver) -> str:
    return driver.execute_script("return document.body.innerText")


def test_the_dagster_ui_shows_the_asset_graph_with_the_marts(browser, dagster_ui):
    base, _ = dagster_ui
    browser.get(f"{base}/asset-groups")
    _wait_for(browser, lambda d: all(g in _body(d) for g in ("raw", "marts", "scoring", "exports")), 180,
              "the global lineage with the groups")
    screenshot(browser, "dagster_global_lineage")
    browser.get(f"{base}/locations/{REPOSITORY}/asset-groups/marts/lineage")
    # the graph shows the nodes in its viewport, which depends on how many marts there are and on
    # the assets linked to them from other groups (scoring's roll-ups, the lineage table): wait for
    # any node of the graph rather than for named ones (dim_service's page is checked by name below)
    nodes = (*MARTS_SHOWN, "agg_automation_by_", "int_services__", "fct_service_", "table_lineage")
    _wait_for(browser, lambda d: any(m in _body(d) for m in nodes), 180, "the marts' asset graph")
    screenshot(browser, "dagster_marts_graph")
    browser.get(f"{base}/assets/marts/dim_service")
    _wait_for(browser, lambda d: "One row per public service" in _body(d), 120, "the mart's page")
    text = _body(browser)
    assert "team:atlas-analytics-engineering" in text or "atlas-analytics-engineering" in text
    screenshot(browser, "dagster_mart_dim_service")


def test_a_materialisation_launched_from_the_ui_succeeds(browser, dagster_ui):
    from selenium.webdriver.common.by import By

    base, _ = dagster_ui
    browser.get(f"{base}/assets/{RAW_ASSET}")
    button = _wait_for(
        browser,
        lambda d: next((b for b in d.find_elements(By.XPATH, "//button[normalize-space()='Materialize']")
                        if b.is_displayed() and b.is_enabled()), None),
        180, "the Materialize button",
    )
    screenshot(browser, "dagster_raw_asset")
    button.click()
    run_id = _wait_for(
        browser,
        lambda d: (_graphql(base, "{ runsOrError(limit: 1) { ... on Runs { results { runId status } } } }")
                   ["runsOrError"]["results"] or [None])[0],
        120, "the launched run",
    )["runId"]
    browser.get(f"{base}/runs/{run_id}")
    status = _wait_for(
        browser,
        lambda d: (s := _graphql(base, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
                                 {"id": run_id})["runOrError"]["status"]) in ("SUCCESS", "FAILURE", "CANCELED") and s,
        RUN_TIMEOUT, "the run to finish",
    )
    browser.refresh()
    _wait_for(browser, lambda d: "Success" in _body(d) or "Failure" in _body(d), 120, "the run page")
    screenshot(browser, "dagster_run")
    assert status == "SUCCESS", f"run {run_id} ended {status}"
    assert "Success" in _body(browser)
    materialised = _graphql(
        base, '{ assetOrError(assetKey: {path: ["raw", "gds__transactions_explorer"]}) { ... on Asset {'
              " assetMaterializations(limit: 1) { runId } } } }")
    assert materialised["assetOrError"]["assetMaterializations"][0]["runId"] == run_id
