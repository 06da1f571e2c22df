"""Two runs on one warehouse: the second stops at once, naming the first, instead of failing later
on DuckDB's single-writer lock with the message only in dbt's log."""

from __future__ import annotations

import os
import subprocess
import sys

from orchestration.__main__ import one_run_at_a_time
from tests.conftest import PROJECT_ROOT


def test_a_second_run_on_the_same_warehouse_stops_naming_the_first(tmp_path, mirror):
    warehouse = tmp_path / "atlas.duckdb"
    env = {"PATH": "/usr/bin:/bin", "ATLAS_MIRROR": str(mirror), "ATLAS_WAREHOUSE": str(warehouse),
           "DAGSTER_HOME": str(tmp_path / "home")}
    with one_run_at_a_time(warehouse):  # the first run, still going
        second = subprocess.run([sys.executable, "-m", "orchestration", "run"], cwd=PROJECT_ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
    assert second.returncode == 2
    assert f"another run is using {warehouse}" in second.stderr
    assert f'"pid": {os.getpid()}' in second.stderr
    assert not warehouse.exists()  # the second run touched nothing


def test_the_lock_is_released_when_the_run_ends(tmp_path):
    warehouse = tmp_path / "atlas.duckdb"
    with one_run_at_a_time(warehouse):
        pass
    with one_run_at_a_time(warehouse):  # taken again at once
        pass
